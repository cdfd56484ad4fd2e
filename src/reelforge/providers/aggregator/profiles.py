"""The aggregator table: one :class:`AggregatorProfile` per aggregator, read from
``profiles.yaml`` beside this module (pure data, so it can move into the catalogue later).

A profile says everything the generic adapter and sandbox need about an aggregator's wire:
where it lives (and the env var overriding that), how it authenticates, where a submit goes and
what its body looks like, where the task id, status, outputs, cost and errors sit in the JSON,
how status spellings map onto our states and which HTTP statuses / envelope codes map onto
which exceptions.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from .. import errors
from ..errors import ProviderError

State = Literal["queued", "running", "succeeded", "failed", "moderated", "canceled", "expired"]
Family = Literal["predictions", "queue", "unified"]

# Defaults every aggregator shares; a profile's own http_errors win.
DEFAULT_HTTP_ERRORS: dict[int, str] = {
    400: "InvalidRequest",
    401: "AuthError",
    402: "QuotaExceeded",
    403: "AuthError",
    404: "InvalidRequest",
    408: "TransientProviderError",
    409: "InvalidRequest",
    413: "InvalidRequest",
    422: "InvalidRequest",
    429: "RateLimited",
    500: "TransientProviderError",
    502: "TransientProviderError",
    503: "TransientProviderError",
    504: "TransientProviderError",
}
QUOTA_WORDS = ("insufficient balance", "insufficient credit", "not enough credit", "no credits")
MODERATION_WORDS = (
    "nsfw",
    "content policy",
    "sensitive content",
    "safety",
    "moderation",
    "flagged",
)


class Fields(BaseModel):
    """Body field names for the parts of a shot; None: the aggregator takes no such field."""

    model_config = ConfigDict(extra="forbid")

    prompt: str = "prompt"
    image: str | None = "image"
    end_image: str | None = "end_image"
    duration: str | None = "duration"
    aspect: str | None = "aspect_ratio"
    sound: str | None = None
    negative_prompt: str | None = None


class AggregatorProfile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    label: str
    family: Family
    catalogue_provider: str
    channel: str
    default_base_url: str
    base_url_env: str
    key_env_options: tuple[tuple[str, ...], ...]
    auth_header: str = "Authorization"
    auth_scheme: str = "Bearer"  # "Key" for id:secret pairs
    submit_path: str
    model_field: str | None = None  # None: the model goes in the submit path
    fields: Fields = Field(default_factory=Fields)
    per_model_fields: dict[str, dict[str, str | None]] = Field(default_factory=dict)
    id_path: str
    poll_path: str
    cancel_path: str | None = None
    status_path: str
    status_map: dict[str, State]
    output_path: str
    output_list: bool = True  # a list of URLs (else one URL string)
    task_error_path: str | None = None
    error_message_paths: tuple[str, ...] = ("message", "error", "detail")
    envelope_code_path: str | None = None
    terminal_body_on_5xx: bool = False
    http_errors: dict[int, str] = Field(default_factory=dict)
    code_errors: dict[int, str] = Field(default_factory=dict)
    concurrency_words: tuple[str, ...] = ()
    quota_words: tuple[str, ...] = QUOTA_WORDS
    moderation_words: tuple[str, ...] = MODERATION_WORDS
    cost_path: str | None = None
    billing_unit: str = "usd"
    poll_interval: float = 5.0
    output_ttl: float | None = 86400.0

    def fields_for(self, model: str) -> Fields:
        """The body field names for ``model``: the profile's, with per-model-prefix overrides."""
        update: dict[str, str | None] = {}
        for prefix, names in self.per_model_fields.items():
            if model.startswith(prefix):
                update.update(names)
        return self.fields.model_copy(update=update) if update else self.fields

    def error_class(self, status: int, *, envelope: bool = False) -> type[ProviderError]:
        table = {**DEFAULT_HTTP_ERRORS, **self.http_errors}
        if envelope:
            table.update(self.code_errors)
        name = table.get(status)
        if name is None:
            name = "TransientProviderError" if status >= 500 else "InvalidRequest"
        return error_class(name)

    def normalise(self, spelling: str) -> State | None:
        return self.status_map.get(spelling.strip().lower())

    def spelling(self, state: State) -> str:
        """The aggregator's first spelling of ``state`` (what its sandbox sends)."""
        for word, mapped in self.status_map.items():
            if mapped == state:
                return word
        return next(w for w, m in self.status_map.items() if m == "failed")


def error_class(name: str) -> type[ProviderError]:
    cls = getattr(errors, name, None)
    if not (isinstance(cls, type) and issubclass(cls, ProviderError)):
        raise ValueError(f"{name!r} is not an exception in reelforge.providers.errors")
    return cls


def parse_profiles(text: str) -> dict[str, AggregatorProfile]:
    raw = yaml.safe_load(text) or {}
    profiles = {name: AggregatorProfile(name=name, **body) for name, body in raw.items()}
    for p in profiles.values():  # fail at load, not at the first error response
        for name in (*p.http_errors.values(), *p.code_errors.values()):
            error_class(name)
    return profiles


@cache
def load_profiles() -> dict[str, AggregatorProfile]:
    text = resources.files(__package__).joinpath("profiles.yaml").read_text("utf-8")
    return parse_profiles(text)


def get_profile(name: str) -> AggregatorProfile:
    profiles = load_profiles()
    if name not in profiles:
        raise KeyError(f"no aggregator {name!r}; known: {', '.join(sorted(profiles))}")
    return profiles[name]


# -- dotted JSON paths ----------------------------------------------------------------------------


def get_path(obj: Any, path: str | None) -> Any:
    """``get_path({"data": {"outputs": ["u"]}}, "data.outputs.0") == "u"``; None if absent."""
    if not path:
        return None
    for part in path.split("."):
        if isinstance(obj, dict):
            obj = obj.get(part)
        elif isinstance(obj, list) and part.isdigit() and int(part) < len(obj):
            obj = obj[int(part)]
        else:
            return None
    return obj


def set_path(obj: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    parts = path.split(".")
    here = obj
    for part in parts[:-1]:
        nxt = here.get(part)
        if not isinstance(nxt, dict):
            nxt = here[part] = {}
        here = nxt
    here[parts[-1]] = value
    return obj
