"""Look up, from the pydantic model, what a loc in the file is supposed to be.

Error messages need more than pydantic's error carries: the valid keys of the mapping that had an
unknown one, the enum a bad word should come from, both bounds of a range.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from typing import Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from .model import Production
from .source import Loc


def _without_none(tp: object) -> object:
    if get_origin(tp) in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def _is_model(tp: object) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def expected_at(loc: Loc) -> tuple[FieldInfo | None, object]:
    """The field (when ``loc`` ends at a model field) and the type expected at ``loc``."""
    tp: object = Production
    info: FieldInfo | None = None
    for part in loc:
        tp = _without_none(tp)
        origin = get_origin(tp)
        if _is_model(tp) and isinstance(part, str):
            assert isinstance(tp, type) and issubclass(tp, BaseModel)
            info = tp.model_fields.get(part)
            if info is None:
                return None, None
            tp = info.annotation
        elif origin is list and isinstance(part, int):
            tp, info = get_args(tp)[0], None
        elif origin is dict:
            tp, info = get_args(tp)[1], None
        else:
            return None, None
    return info, _without_none(tp)


def is_name_mapping(loc: Loc) -> bool:
    """True when ``loc`` is a free-form mapping of names to values, like ``elements``."""
    return get_origin(expected_at(loc)[1]) is dict


def model_at(loc: Loc) -> type[BaseModel] | None:
    tp = expected_at(loc)[1]
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    return None


def field_names(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def required_names(model: type[BaseModel]) -> list[str]:
    return [name for name, info in model.model_fields.items() if info.is_required()]


@dataclass(frozen=True)
class Bounds:
    low: float | None = None
    low_inclusive: bool = True
    high: float | None = None
    high_inclusive: bool = True


def bounds(info: FieldInfo | None, integer: bool) -> Bounds:
    """The numeric range a field allows; an integer ``< n`` is shown as ``≤ n-1``."""
    low = high = None
    low_inc = high_inc = True
    for item in info.metadata if info else []:
        if isinstance(item, annotated_types.Ge):
            low = float(item.ge)  # type: ignore[arg-type]
        elif isinstance(item, annotated_types.Gt):
            low, low_inc = float(item.gt), False  # type: ignore[arg-type]
        elif isinstance(item, annotated_types.Le):
            high = float(item.le)  # type: ignore[arg-type]
        elif isinstance(item, annotated_types.Lt):
            high, high_inc = float(item.lt), False  # type: ignore[arg-type]
    if integer and high is not None and not high_inc:
        high, high_inc = high - 1, True
    return Bounds(low, low_inc, high, high_inc)
