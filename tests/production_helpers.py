"""Helpers shared by the production-file tests: write a file, collect its problems."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from reelforge._exceptions import Problem, ProductionError
from reelforge.production import load_production


def write(tmp_path: Path, text: str, name: str = "p.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(ProductionError) as info:
        load_production(path)
    return info.value.problems


def at(problems: list[Problem], path: str) -> Problem:
    """The single problem reported for field ``path``."""
    found = [p for p in problems if p.path == path]
    assert len(found) == 1, f"expected one problem at {path!r}, got {problems}"
    return found[0]


def where(problem: Problem) -> tuple[int, int]:
    return problem.line, problem.column
