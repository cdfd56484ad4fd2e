"""User settings in ``REELFORGE_HOME/config.toml``: budget caps and provider limits.

    [budget]
    monthly_usd = 200            # global cap across every run this calendar month (UTC)

    [limits.kling]               # per provider account (the provider name) ...
    max_in_flight = 3
    submits_per_minute = 10

    [limits."kling-v2.6-pro"]    # ... or per catalogue route
    max_in_flight = 1

Environment overrides for one-off runs: REELFORGE_MONTHLY_BUDGET_USD. Unset limits fall back
to the catalogue's defaults for the route (``max_in_flight``, ``submits_per_minute``).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from reelforge._exceptions import ConfigError

LIMIT_FIELDS = ("max_in_flight", "submits_per_minute")


@dataclass(frozen=True)
class Limit:
    max_in_flight: int | None = None
    submits_per_minute: int | None = None


@dataclass(frozen=True)
class Config:
    monthly_budget_usd: Decimal | None = None
    limits: dict[str, Limit] = field(default_factory=dict)  # provider or route id → limit
    path: Path | None = None


def config_path() -> Path:
    from reelforge.store.paths import data_home

    return data_home() / "config.toml"


def _money(value: Any, where: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise ConfigError(f"{where}: expected an amount in USD, got {value!r}") from exc
    if not amount.is_finite() or amount < 0:
        raise ConfigError(f"{where}: expected a non-negative amount in USD, got {value!r}")
    return amount


def _limit(name: str, raw: Any, where: str) -> Limit:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: [limits.{name}] must be a table")
    unknown = set(raw) - set(LIMIT_FIELDS)
    if unknown:
        raise ConfigError(
            f"{where}: limits.{name}.{sorted(unknown)[0]} is not a setting "
            f"(known: {', '.join(LIMIT_FIELDS)})"
        )
    values: dict[str, int] = {}
    for key, value in raw.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"{where}: limits.{name}.{key} must be a whole number ≥ 1")
        values[key] = value
    return Limit(**values)


def load_config(path: Path | None = None) -> Config:
    """The settings file (missing is fine: no caps, catalogue limits) plus env overrides."""
    path = path or config_path()
    data: dict[str, Any] = {}
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from exc
    where = str(path)
    unknown = set(data) - {"budget", "limits"}
    if unknown:
        raise ConfigError(f"{where}: [{sorted(unknown)[0]}] is not a section (budget, limits)")
    budget = data.get("budget", {})
    monthly = budget.get("monthly_usd") if isinstance(budget, dict) else None
    env = os.environ.get("REELFORGE_MONTHLY_BUDGET_USD")
    if env:
        monthly, where_monthly = env, "REELFORGE_MONTHLY_BUDGET_USD"
    else:
        where_monthly = f"{where}: budget.monthly_usd"
    limits_raw = data.get("limits", {})
    if not isinstance(limits_raw, dict):
        raise ConfigError(f"{where}: [limits] must be a table of tables")
    return Config(
        monthly_budget_usd=None if monthly is None else _money(monthly, where_monthly),
        limits={name: _limit(name, raw, where) for name, raw in limits_raw.items()},
        path=path,
    )
