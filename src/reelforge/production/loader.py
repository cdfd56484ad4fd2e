"""Load a production file: parse, validate against the model, run cross-field checks.

Every problem found is collected and raised together as one :class:`ProductionError`, so a user
fixes the file in one pass instead of one error per run.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from reelforge._exceptions import Problem, ProductionError

from .checks import covered_by_checks, run_checks
from .model import LoadedProduction, Production
from .parse import Parsed, parse_file
from .source import Loc, SourceMap, parse_path
from .suggest import did_you_mean
from .translate import problems_from_errors


def _validate(data: dict[str, object]) -> tuple[Production | None, list[ErrorDetails]]:
    try:
        return Production.model_validate(data), []
    except ValidationError as exc:
        return None, exc.errors()


def _set_at(data: object, loc: Loc, value: object) -> None:
    for part in loc[:-1]:
        data = data[part]  # type: ignore[index]
    data[loc[-1]] = value  # type: ignore[index]


def _validate_with_text_retry(
    parsed: Parsed,
) -> tuple[Production | None, list[ErrorDetails]]:
    production, errors = _validate(parsed.data)
    # `id: 1` or `title: 2024` in YAML reads as a number; where the model wants text, take the
    # literal text as written and validate once more.
    retry = [
        tuple(e["loc"])
        for e in errors
        if e["type"] == "string_type" and tuple(e["loc"]) in parsed.plain_text
    ]
    if not retry:
        return production, errors
    for loc in retry:
        _set_at(parsed.data, loc, parsed.plain_text[loc])
    return _validate(parsed.data)


def _unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


def _check_models(parsed: Parsed, known: Collection[str]) -> list[Problem]:
    problems = []
    shots = parsed.data.get("shots")
    for index, shot in enumerate(shots if isinstance(shots, list) else []):
        model = shot.get("model") if isinstance(shot, dict) else None
        if isinstance(model, str) and model not in known:
            hint = did_you_mean(model, sorted(known), list_label="available models")
            problems.append(
                parsed.source_map.problem(
                    ("shots", index, "model"), f"unknown model {model!r}{hint}"
                )
            )
    return problems


def _check_voices(parsed: Parsed, check: Callable[[str], str | None]) -> list[Problem]:
    problems = []
    elements = parsed.data.get("elements")
    for name, element in (elements if isinstance(elements, dict) else {}).items():
        voice = element.get("voice") if isinstance(element, dict) else None
        if isinstance(voice, str) and (message := check(voice)):
            problems.append(parsed.source_map.problem(("elements", name, "voice"), message))
    return problems


def load_production(
    path: Path | str,
    *,
    known_models: Collection[str] | None = None,
    voice_check: Callable[[str], str | None] | None = None,
) -> LoadedProduction:
    """Load and fully check the production file at ``path`` (``.yaml``, ``.yml`` or ``.json``).

    Raises :class:`ProductionError` listing every problem, each with file, line, column and
    field path. Relative paths inside the file resolve against the file's folder.
    """
    source = Path(path)
    parsed = parse_file(source, str(path))
    production, errors = _validate_with_text_retry(parsed)
    problems = list(parsed.problems)
    problems += problems_from_errors(errors, parsed.source_map, skip=covered_by_checks)
    source = source.resolve()
    problems += run_checks(parsed.data, parsed.source_map, source.parent)
    # Which models and voices exist is known to the generators and the TTS engines, not here.
    if known_models is not None:
        problems += _check_models(parsed, known_models)
    if voice_check is not None:
        problems += _check_voices(parsed, voice_check)
    problems = _unique(problems)
    if problems or production is None:
        # `production is None` with no problems cannot happen: every error is either reported
        # or covered by a check; keep a safe fallback all the same.
        raise ProductionError(problems or [parsed.source_map.problem((), "invalid production")])
    return LoadedProduction(production=production, source=source)


# (resolved file, mtime_ns, size) → positions; `locate` is called once per problem found later.
_MAP_CACHE: dict[tuple[Path, int, int], SourceMap] = {}


def _source_map(source: Path) -> SourceMap | None:
    try:
        stat = source.stat()
        key = (source, stat.st_mtime_ns, stat.st_size)
        if key not in _MAP_CACHE:
            _MAP_CACHE.clear()  # one production at a time is the common case; stay small
            _MAP_CACHE[key] = parse_file(source, str(source)).source_map
        return _MAP_CACHE[key]
    except (OSError, ProductionError):
        return None


def locate(loaded: LoadedProduction, path: str) -> tuple[int, int]:
    """1-based (line, column) of field ``path`` (e.g. ``shots[2].model``) in ``loaded``'s file.

    For problems found after loading (an unknown generator, say). A field left out of the file
    is located at its nearest written parent; (1, 1) when the file can no longer be read.
    Raises ValueError when ``path`` itself is malformed (a programming error).
    """
    source_map = _source_map(loaded.source)
    if source_map is None:
        return 1, 1
    where = source_map.position(parse_path(path))
    return where.line, where.column
