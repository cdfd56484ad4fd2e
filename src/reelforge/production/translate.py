"""Turn pydantic validation errors into located, human-worded Problems."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any

from pydantic_core import ErrorDetails

from reelforge._exceptions import Problem

from . import fields
from .model import Camera, ShotSize, SubtitleMode, TransitionKind
from .source import Loc, SourceMap, format_path
from .suggest import did_you_mean, nearest

ENUM_LABELS: dict[type[Enum], str] = {
    Camera: "camera move",
    ShotSize: "shot size",
    TransitionKind: "transition kind",
    SubtitleMode: "subtitles mode",
}
UNITS = {"duration": " seconds", "at": " seconds", "loudness": " LUFS"}
_RANGE_TYPES = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}


def number(value: float) -> str:
    """``60.0`` → ``60``, ``0.5`` → ``0.5`` (no float noise in messages)."""
    as_float = float(value)
    return str(int(as_float)) if as_float.is_integer() else repr(as_float)


def describe(value: object) -> str:
    """A short, YAML-flavoured description of a value a user wrote."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return number(value)
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else repr(value[:37] + "...")
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _name(loc: Loc) -> str:
    # The last field name plus any list indices after it: `duration`, `elements[1]`, `shots[2]`.
    for i in range(len(loc) - 1, -1, -1):
        if isinstance(loc[i], str):
            # A key of a name → value mapping (`elements.bob`) means nothing without its parent.
            start = i - 1 if i and fields.is_name_mapping(loc[:i]) else i
            return format_path(loc[start:])
    return "the production"


def _enum_message(enum: type[Enum], value: object) -> str:
    label = ENUM_LABELS.get(enum, enum.__name__)
    choices = [str(member.value) for member in enum]
    if isinstance(value, str):
        return f"unknown {label} '{value}'" + did_you_mean(value, choices)
    return f"{label} must be one of: {', '.join(choices)}; got {describe(value)}"


def _range_message(loc: Loc, value: object) -> str:
    info, tp = fields.expected_at(loc)
    b = fields.bounds(info, integer=tp is int)
    name, unit = _name(loc), UNITS.get(str(loc[-1]), "")
    got = f", got {describe(value)}"
    if b.low is not None and b.high is not None and b.low_inclusive and b.high_inclusive:
        return f"{name} must be between {number(b.low)} and {number(b.high)}{unit}{got}"
    parts = []
    if b.low is not None:
        parts.append(f"{'at least' if b.low_inclusive else 'greater than'} {number(b.low)}")
    if b.high is not None:
        parts.append(f"{'at most' if b.high_inclusive else 'less than'} {number(b.high)}")
    return f"{name} must be {' and '.join(parts) or 'in range'}{unit}{got}"


def _pattern_message(loc: Loc, value: object) -> str:
    if loc[-1] == "id":
        return (
            f"shot id {describe(value)} may use only letters, digits, '_', '.' and '-', "
            "and must start with a letter or digit"
        )
    if loc[-1] == "resolution":
        return f"resolution must look like WIDTHxHEIGHT (e.g. 1280x720), got {describe(value)}"
    return f"{_name(loc)} has an invalid form: {describe(value)}"


def _mapping_message(loc: Loc, value: object) -> str:
    if loc[-1] == "transition":
        kinds = ", ".join(k.value for k in TransitionKind)
        return (
            f"transition must be a kind ({kinds}) or a mapping with kind and duration, "
            f"got {describe(value)}"
        )
    model = fields.model_at(loc)
    if model is None:
        return f"{_name(loc)} must be a mapping, got {describe(value)}"
    names = fields.field_names(model)
    shown = names if len(names) <= 4 else [*fields.required_names(model), "…"]
    return f"{_name(loc)} must be a mapping (with {', '.join(shown)}), got {describe(value)}"


def _extra_message(loc: Loc) -> tuple[str, str | None]:
    """The message for an unknown key and the valid key it probably meant."""
    key = str(loc[-1])
    model = fields.model_at(loc[:-1])
    valid = fields.field_names(model) if model else []
    guess = nearest(key, valid)
    return f"unknown field '{key}'" + did_you_mean(key, valid, list_label="valid fields"), guess


_SIMPLE: dict[str, Callable[[Loc, Any, dict[str, Any]], str]] = {
    "string_type": lambda loc, v, c: f"{_name(loc)} must be text, got {describe(v)}",
    "string_too_short": lambda loc, v, c: f"{_name(loc)} must not be empty",
    "string_pattern_mismatch": lambda loc, v, c: _pattern_message(loc, v),
    "float_type": lambda loc, v, c: f"{_name(loc)} must be a number, got {describe(v)}",
    "float_parsing": lambda loc, v, c: f"{_name(loc)} must be a number, got {describe(v)}",
    "int_type": lambda loc, v, c: f"{_name(loc)} must be a whole number, got {describe(v)}",
    "int_parsing": lambda loc, v, c: f"{_name(loc)} must be a whole number, got {describe(v)}",
    "int_from_float": lambda loc, v, c: f"{_name(loc)} must be a whole number, got {describe(v)}",
    "list_type": lambda loc, v, c: f"{_name(loc)} must be a list, got {describe(v)}",
    "dict_type": lambda loc, v, c: f"{_name(loc)} must be a mapping, got {describe(v)}",
    "model_type": lambda loc, v, c: _mapping_message(loc, v),
    "model_attributes_type": lambda loc, v, c: _mapping_message(loc, v),
    "literal_error": lambda loc, v, c: (
        f"{_name(loc)} must be one of {c.get('expected', '?')}, got {describe(v)}"
    ),
    "too_long": lambda loc, v, c: (
        f"{_name(loc)} may have at most {c.get('max_length')} items, got {c.get('actual_length')}"
    ),
    "too_short": lambda loc, v, c: (
        f"{_name(loc)} needs at least {c.get('min_length')} item(s), got {c.get('actual_length')}"
    ),
    "value_error": lambda loc, v, c: str(c.get("error", "invalid value")),
}


def _message(error: ErrorDetails, loc: Loc) -> str:
    kind, value, ctx = error["type"], error["input"], error.get("ctx", {})
    if kind in _RANGE_TYPES:
        return _range_message(loc, value)
    if kind == "enum":
        enum = fields.expected_at(loc)[1]
        if isinstance(enum, type) and issubclass(enum, Enum):
            return _enum_message(enum, value)
    if kind in _SIMPLE:
        return _SIMPLE[kind](loc, value, ctx)
    return error["msg"]


def problems_from_errors(
    errors: Sequence[ErrorDetails],
    source_map: SourceMap,
    skip: Callable[[Loc, str], bool] = lambda loc, kind: False,
) -> list[Problem]:
    """One Problem per pydantic error, except those ``skip`` says a check reports better."""
    problems: list[Problem] = []
    meant: set[Loc] = set()  # fields an unknown key was probably a typo of
    for error in errors:
        loc = tuple(error["loc"])
        if error["type"] == "extra_forbidden":
            message, guess = _extra_message(loc)
            problems.append(source_map.problem(loc, message, key=True))
            if guess is not None:
                meant.add((*loc[:-1], guess))
    for error in errors:
        loc = tuple(error["loc"])
        if error["type"] == "extra_forbidden" or skip(loc, error["type"]):
            continue
        if error["type"] == "missing":
            # `duraton: 3` already says "did you mean 'duration'?"; "missing duration" is noise.
            if loc not in meant:
                message = f"missing required field '{loc[-1]}'"
                problems.append(source_map.problem(loc, message))
            continue
        problems.append(source_map.problem(loc, _message(error, loc)))
    return problems
