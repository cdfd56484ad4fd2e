"""Where each value of a production file sits: field path → line and column.

A *loc* is a tuple of keys and list indices, the same shape pydantic uses for error locations
(``("shots", 2, "camera")``); the human form is ``shots[2].camera``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from reelforge._exceptions import Problem

Loc = tuple[str | int, ...]

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def format_path(loc: Loc) -> str:
    """``("shots", 2, "camera")`` → ``shots[2].camera``; odd keys are quoted: ``x["A B"]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part, ensure_ascii=False)}]"
    return out


_PATH_PART = re.compile(r'\.?([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]')


def parse_path(path: str) -> Loc:
    """The inverse of :func:`format_path`; raises ValueError on a malformed path."""
    loc: list[str | int] = []
    pos = 0
    while pos < len(path):
        match = _PATH_PART.match(path, pos)
        if match is None or match.end() == pos:
            raise ValueError(f"malformed field path {path!r} at character {pos + 1}")
        name, index, quoted = match.groups()
        loc.append(name if name is not None else int(index) if index else json.loads(quoted))
        pos = match.end()
    return tuple(loc)


@dataclass(frozen=True)
class Position:
    """A 1-based line and column."""

    line: int
    column: int


START = Position(1, 1)


@dataclass
class SourceMap:
    """Positions of the values and mapping keys of one parsed file."""

    file: str
    values: dict[Loc, Position] = field(default_factory=dict)
    keys: dict[Loc, Position] = field(default_factory=dict)
    # Locs whose node is a scalar: a pydantic loc reaching *below* one (``transition.kind`` for
    # the shorthand ``transition: wipe``) names something the file does not contain.
    scalars: set[Loc] = field(default_factory=set)

    def _deepest(self, loc: Loc) -> Loc:
        for end in range(len(loc), 0, -1):
            if loc[:end] in self.values:
                return loc[:end]
        return ()

    def position(self, loc: Loc, *, key: bool = False) -> Position:
        """Where ``loc`` is written (its key with ``key=True``), else its nearest written parent."""
        if key and loc in self.keys:
            return self.keys[loc]
        return self.values.get(self._deepest(loc), START)

    def problem(self, loc: Loc, message: str, *, key: bool = False) -> Problem:
        anchor = self._deepest(loc)
        if anchor != loc and anchor in self.scalars:
            loc = anchor
        where = self.position(loc, key=key)
        return Problem(self.file, where.line, where.column, format_path(loc), message)

    def line_of(self, loc: Loc) -> int:
        return self.position(loc).line


def file_problem(file: str, message: str, where: Position = START) -> Problem:
    """A problem with the file as a whole (no field path)."""
    return Problem(file, where.line, where.column, "", message)
