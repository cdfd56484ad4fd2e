"""Which generator renders a shot. Generators are imported only when first used."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection, Iterator

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


def _remote_routes() -> dict[str, Callable[[], Generator]]:
    """Catalogue routes whose provider has an adapter (read once; the catalogue is data)."""
    from reelforge.catalogue import load_catalogue
    from reelforge.generators.remote import RemoteGenerator, has_adapter

    def factory(route_id: str) -> Callable[[], Generator]:
        return lambda: RemoteGenerator(route_id)

    return {
        r.id: factory(r.id)
        for r in load_catalogue().routes
        if has_adapter(r.provider, r.channel, r.model)
        and r.enabled
        and r.lifecycle.status != "retired"
    }


_REMOTES_LOADED = False


def _ensure_remotes() -> None:
    global _REMOTES_LOADED
    if not _REMOTES_LOADED:
        _REMOTES_LOADED = True
        for name, factory in _remote_routes().items():
            _FACTORIES.setdefault(name, factory)


def generator_names() -> list[str]:
    _ensure_remotes()
    return sorted(_FACTORIES)


class KnownModels(Collection[str]):
    """Every generator name, reading the catalogue only when a name is not a local generator
    (a previz-only production never pays for parsing it)."""

    def __contains__(self, name: object) -> bool:
        if name in _FACTORIES:
            return True
        _ensure_remotes()
        return name in _FACTORIES

    def __iter__(self) -> Iterator[str]:
        return iter(generator_names())

    def __len__(self) -> int:
        return len(generator_names())


def get_generator(name: str) -> Generator:
    if name not in _FACTORIES:
        _ensure_remotes()
    if name not in _FACTORIES:
        close = difflib.get_close_matches(name, _FACTORIES, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UnknownGenerator(
            f"unknown model {name!r}{hint}; available: {', '.join(generator_names())}"
        )
    if name not in _INSTANCES:
        _INSTANCES[name] = _FACTORIES[name]()
    return _INSTANCES[name]
