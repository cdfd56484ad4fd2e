"""Which generator renders a shot. Generators are imported only when first used."""

from __future__ import annotations

import difflib
from collections.abc import Callable

from reelforge._exceptions import UnknownGenerator
from reelforge.generators.base import Generator


def _previz() -> Generator:
    from reelforge.generators.previz import PrevizGenerator

    return PrevizGenerator()


_FACTORIES: dict[str, Callable[[], Generator]] = {"previz": _previz}
_INSTANCES: dict[str, Generator] = {}


def register_generator(name: str, factory: Callable[[], Generator]) -> None:
    """The plugin surface: provider packages add their generators here."""
    _FACTORIES[name] = factory
    _INSTANCES.pop(name, None)


def generator_names() -> list[str]:
    return sorted(_FACTORIES)


def get_generator(name: str) -> Generator:
    if name not in _FACTORIES:
        close = difflib.get_close_matches(name, _FACTORIES, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UnknownGenerator(
            f"unknown model {name!r}{hint}; available: {', '.join(generator_names())}"
        )
    if name not in _INSTANCES:
        _INSTANCES[name] = _FACTORIES[name]()
    return _INSTANCES[name]
