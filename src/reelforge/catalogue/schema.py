"""The catalogue's data model: one strict pydantic class per YAML block.

Everything about a model route lives in ``catalogue.yaml``; these classes only say what shape that
data must have, so a typo fails loudly at load time instead of silently mis-pricing a shot.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

# Conditions a coupling can test. Kept deliberately tiny so every rule stays checkable without HTTP.
CONDITION = r"^(first_frame|last_frame|reference_images|audio|t2v|i2v|resolution=[0-9a-z]+)$"
Condition = Annotated[str, Field(pattern=CONDITION)]
RESOLUTION = re.compile(r"^(\d{3,4})p$|^([248])k$")


def _money(value: object) -> Decimal:
    # Money is written as a string so YAML never turns it into a binary float.
    if not isinstance(value, str):
        raise ValueError(f"money must be a quoted decimal string, got {value!r}")
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:
        raise ValueError(f"not a decimal amount: {value!r}") from exc
    if amount < 0:
        raise ValueError(f"money cannot be negative: {value!r}")
    return amount


Money = Annotated[Decimal, BeforeValidator(_money)]


def resolution_height(label: str) -> int:
    """Short-side pixels of a resolution label: ``720p`` → 720, ``4k`` → 2160."""
    match = RESOLUTION.match(label)
    if match is None:
        raise ValueError(f"unknown resolution label {label!r} (use e.g. 720p, 1080p, 4k)")
    if match.group(1):
        return int(match.group(1))
    return {"2": 1440, "4": 2160, "8": 4320}[match.group(2)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Lifecycle(_Strict):
    status: Literal["preview", "ga", "deprecated", "retired"]
    date: dt.date | None = None  # when the status began; for `retired`, the shutdown date

    @model_validator(mode="after")
    def _retired_has_date(self) -> Lifecycle:
        if self.status == "retired" and self.date is None:
            raise ValueError("a retired route needs the retirement date")
        return self


class Capabilities(_Strict):
    t2v: bool
    i2v: bool
    first_last_frame: bool
    reference_images_max: int = Field(ge=0)
    multi_shot_max: int = Field(default=0, ge=0)
    extend: bool = False
    v2v_edit: bool = False
    native_audio: Literal["always", "toggle", "none"]
    lip_sync: bool = False
    camera_control: bool = False
    seed_honoured: bool = False

    @property
    def edit_only(self) -> bool:
        """Only edits a given video (Aleph): it needs a source video, and its output is as long
        as that video."""
        return self.v2v_edit and not (self.t2v or self.i2v)


class DurationRange(_Strict):
    min: int = Field(ge=1)
    max: int = Field(ge=1)
    step: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> DurationRange:
        if self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


class _Rule(_Strict):
    note: str | None = None


class Requires(_Rule):
    """When ``when`` holds, ``needs`` must hold too (e.g. an end frame needs a first frame)."""

    rule: Literal["requires"]
    when: Condition
    needs: Condition

    def describe(self) -> str:
        return f"{self.when} requires {self.needs}"


class Excludes(_Rule):
    """When ``when`` holds, none of ``forbids`` may hold (e.g. references exclude frames)."""

    rule: Literal["excludes"]
    when: Condition
    forbids: list[Condition] = Field(min_length=1)

    def describe(self) -> str:
        return f"{self.when} cannot be combined with {' / '.join(self.forbids)}"


class RequiresMode(_Rule):
    """When ``when`` holds, the route's ``mode`` must be one of ``modes`` (Kling sound → pro)."""

    rule: Literal["requires_mode"]
    when: Condition
    modes: list[str] = Field(min_length=1)

    def describe(self) -> str:
        return f"{self.when} requires mode {' or '.join(self.modes)}"


class LimitsDuration(_Rule):
    """When ``when`` holds, only these durations are allowed (Hailuo 1080p → 6 s)."""

    rule: Literal["limits_duration"]
    when: Condition
    durations: list[int] = Field(min_length=1)

    def describe(self) -> str:
        return f"{self.when} allows only {', '.join(str(d) for d in self.durations)} s"


class LimitsResolution(_Rule):
    """When ``when`` holds, only these resolutions are allowed (Grok 1.5 R2V → ≤720p)."""

    rule: Literal["limits_resolution"]
    when: Condition
    resolutions: list[str] = Field(min_length=1)

    def describe(self) -> str:
        return f"{self.when} allows only {', '.join(self.resolutions)}"


class ImageMatchesOutput(_Rule):
    """When ``when`` holds, the input image must have exactly the output size (Sora)."""

    rule: Literal["image_matches_output"]
    when: Condition

    def describe(self) -> str:
        return f"{self.when} image must be exactly the output size"


Coupling = Annotated[
    Requires | Excludes | RequiresMode | LimitsDuration | LimitsResolution | ImageMatchesOutput,
    Field(discriminator="rule"),
]


class Rate(_Strict):
    """One row of a price table; the first row whose conditions match the shot wins."""

    resolution: list[str] | None = None  # None: any resolution
    audio: bool | None = None  # None: with or without audio
    duration: int | None = None  # only for per-clip rows
    per: Literal["second", "clip"] = "second"
    amount: Money

    @model_validator(mode="after")
    def _clip_has_duration(self) -> Rate:
        if self.per == "clip" and self.duration is None:
            raise ValueError("a per-clip rate needs the clip `duration` it prices")
        return self


class TokenFormula(_Strict):
    """Seedance-style tokens: aligned width x height x (seconds x fps + offset) / divisor."""

    fps: int = 24
    frame_offset: int = 0
    align: int = 16
    divisor: int = 1024


class Price(_Strict):
    unit: Literal["usd_per_second", "units", "usd_per_million_tokens", "usd_per_request", "unknown"]
    unit_usd: Money | None = None  # USD per provider unit/credit, for `units`
    rates: list[Rate] = []
    per_input_image: Money | None = None
    tokens: TokenFormula | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Price:
        if self.unit == "unknown":
            if self.rates:
                raise ValueError("an unknown price cannot have rates")
            return self
        if not self.rates:
            raise ValueError(f"unit {self.unit} needs at least one rate")
        if self.unit == "units" and self.unit_usd is None:
            raise ValueError("unit `units` needs unit_usd")
        if self.unit == "usd_per_million_tokens" and self.tokens is None:
            raise ValueError("unit `usd_per_million_tokens` needs a tokens formula")
        return self


class Route(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.\-]*(@[a-z0-9\-]+)?$")
    provider: str
    channel: str
    model: str
    api_version: str
    mode: str | None = None
    lifecycle: Lifecycle
    enabled: bool = True  # reverse-engineered channels ship disabled
    capabilities: Capabilities
    durations: list[int] | DurationRange
    resolutions: list[str] = Field(min_length=1)
    sizes: list[str] = []  # exact WxH outputs, for models that take a size instead of a ratio
    fps: list[int] = []
    aspect_ratios: list[str] = []
    aspect_from_image: bool = False
    couplings: list[Coupling] = []
    price: Price
    price_source: str = Field(min_length=1)
    price_confidence: Literal["high", "medium", "low", "unknown"]
    typical_latency_s: int | None = None
    max_in_flight: int | None = None
    submits_per_minute: int | None = None
    notes: list[str] = []

    @model_validator(mode="after")
    def _coherent(self) -> Route:
        for label in self.resolutions:
            resolution_height(label)
        for size in self.sizes:
            if not re.fullmatch(r"\d+x\d+", size):
                raise ValueError(f"size {size!r} must look like 1280x720")
        for ratio in self.aspect_ratios:
            if not re.fullmatch(r"\d+:\d+", ratio):
                raise ValueError(f"aspect ratio {ratio!r} must look like 16:9")
        for rate in self.price.rates:
            unknown = set(rate.resolution or ()) - set(self.resolutions)
            if unknown:
                raise ValueError(f"price rate names resolutions the route lacks: {sorted(unknown)}")
        for coupling in self.couplings:
            if isinstance(coupling, RequiresMode) and self.mode is None:
                raise ValueError("a requires_mode coupling needs the route's `mode`")
        return self

    def allowed_durations(self) -> list[int]:
        if isinstance(self.durations, DurationRange):
            return list(range(self.durations.min, self.durations.max + 1, self.durations.step))
        return sorted(self.durations)

    def max_resolution(self) -> str:
        return max(self.resolutions, key=resolution_height)

    @property
    def retired(self) -> bool:
        return self.lifecycle.status == "retired"


class Catalogue(_Strict):
    version: int = Field(ge=1)
    updated: dt.date
    routes: list[Route]

    @model_validator(mode="after")
    def _unique_ids(self) -> Catalogue:
        seen: set[str] = set()
        for route in self.routes:
            if route.id in seen:
                raise ValueError(f"duplicate route id {route.id!r}")
            seen.add(route.id)
        return self

    def get(self, route_id: str) -> Route | None:
        return next((r for r in self.routes if r.id == route_id), None)

    @property
    def ids(self) -> list[str]:
        return [r.id for r in self.routes]
