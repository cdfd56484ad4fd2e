"""Load and validate ``catalogue.yaml``; errors name the route and the field that is wrong."""

from __future__ import annotations

import difflib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from reelforge._exceptions import ReelforgeError
from reelforge.catalogue.schema import Catalogue, Route


class CatalogueError(ReelforgeError):
    """The catalogue data file is malformed, or a route id does not exist."""


def _where(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(route)"


def _route_errors(index: int, raw: Any) -> list[str]:
    name = raw.get("id", f"#{index}") if isinstance(raw, dict) else f"#{index}"
    try:
        Route.model_validate(raw)
    except ValidationError as exc:
        return [f"route {name!r} field {_where(e['loc'])}: {e['msg']}" for e in exc.errors()]
    return []


def parse_catalogue(text: str, source: str = "catalogue.yaml") -> Catalogue:
    """Validate catalogue YAML text; raise :class:`CatalogueError` listing every problem."""
    try:
        # libyaml's parser when the wheel has it: the catalogue is read on every render.
        raw = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("routes"), list):
        raise CatalogueError(f"{source}: expected a mapping with `version`, `updated`, `routes`")
    # Validate route by route first so the message names the route, not a list index.
    problems = [p for i, r in enumerate(raw["routes"]) for p in _route_errors(i, r)]
    if problems:
        raise CatalogueError(f"{source}: " + "; ".join(problems))
    try:
        return Catalogue.model_validate(raw)
    except ValidationError as exc:
        detail = "; ".join(f"{_where(e['loc'])}: {e['msg']}" for e in exc.errors())
        raise CatalogueError(f"{source}: {detail}") from exc


def load_catalogue_file(path: Path) -> Catalogue:
    return parse_catalogue(path.read_text(encoding="utf-8"), source=str(path))


@lru_cache(maxsize=1)
def load_catalogue() -> Catalogue:
    """The packaged catalogue, parsed once per process."""
    text = resources.files("reelforge.catalogue").joinpath("catalogue.yaml").read_text("utf-8")
    return parse_catalogue(text)


def nearest_ids(route_id: str, catalogue: Catalogue | None = None, n: int = 3) -> list[str]:
    ids = (catalogue or load_catalogue()).ids
    return difflib.get_close_matches(route_id, ids, n=n, cutoff=0.3)


def get_route(route_id: str, catalogue: Catalogue | None = None) -> Route:
    """The route with this id, or a :class:`CatalogueError` suggesting the nearest ids."""
    cat = catalogue or load_catalogue()
    route = cat.get(route_id)
    if route is None:
        near = nearest_ids(route_id, cat)
        hint = f" — did you mean {', '.join(near)}?" if near else ""
        raise CatalogueError(f"unknown model {route_id!r}{hint}")
    return route
