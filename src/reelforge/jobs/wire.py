"""Shot requests and provider task handles as JSON, so a job can be resumed by another process."""

from __future__ import annotations

import dataclasses
import functools
import typing
from pathlib import Path
from typing import Any

from reelforge.generators.base import ElementRef, ShotRequest, TimedLine
from reelforge.providers.state import OutputRef, TaskHandle, WireRequest


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def to_json(value: Any) -> Any:
    """Dataclasses (requests, handles, outputs) as JSON-ready dicts; paths as strings."""
    return _plain(value)


@functools.cache
def _request_hints() -> dict[str, str]:
    return {name: str(hint) for name, hint in typing.get_type_hints(ShotRequest).items()}


def request_from_json(data: dict[str, Any]) -> ShotRequest:
    hints = _request_hints()
    values: dict[str, Any] = {}
    for f in dataclasses.fields(ShotRequest):
        if f.name not in data:
            continue
        raw, hint = data[f.name], str(hints[f.name])
        if f.name == "elements":
            raw = tuple(
                ElementRef(e["name"], e.get("description", ""), tuple(map(Path, e["references"])))
                for e in raw
            )
        elif f.name == "dialogue":
            raw = tuple(TimedLine(**line) for line in raw)
        elif "Path" in hint and raw is not None:
            raw = tuple(map(Path, raw)) if isinstance(raw, list) else Path(raw)
        elif isinstance(raw, list):
            raw = tuple(raw)
        values[f.name] = raw
    return ShotRequest(**values)


def wire_from_json(data: dict[str, Any]) -> WireRequest:
    return WireRequest(**{**data, "warnings": tuple(data.get("warnings", ()))})


def handle_from_json(data: dict[str, Any]) -> TaskHandle:
    return TaskHandle(**data)


def outputs_from_json(data: list[dict[str, Any]]) -> tuple[OutputRef, ...]:
    return tuple(OutputRef(**o) for o in data)
