"""Read a production file into plain data plus a :class:`SourceMap` of every node's position.

YAML is composed (not loaded) so each node keeps its line and column, then turned into plain
Python values here with YAML 1.2 core-schema rules: ``subtitles: off`` stays the string "off"
instead of YAML 1.1's ``False``. JSON is parsed by :mod:`json` (the authority on its syntax and
values) and composed by the YAML parser only to learn positions — valid JSON is valid YAML.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.composer import Composer
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from reelforge._exceptions import Problem, ProductionError

from .source import Loc, Position, SourceMap, file_problem, format_path

YAML_SUFFIXES = (".yaml", ".yml")
JSON_SUFFIXES = (".json",)

_TAG = "tag:yaml.org,2002:"
_STR, _NULL, _BOOL, _INT, _FLOAT = (_TAG + t for t in ("str", "null", "bool", "int", "float"))
_MERGE = _TAG + "merge"
# Aliases can expand exponentially ("billion laughs") or refer to themselves; stop early.
_MAX_NODES = 200_000
_MAX_DEPTH = 100


class _Loader(Reader, Scanner, Parser, Composer, BaseResolver):
    """Composes nodes only; never constructs arbitrary Python objects."""

    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        BaseResolver.__init__(self)


# YAML 1.2 core schema (the order matters: int is tried before float).
for _tag, _pattern, _first in (
    (_NULL, r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    (_BOOL, r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    (_INT, r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    (
        _FLOAT,
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        list("-+.0123456789"),
    ),
    (_MERGE, r"^<<$", ["<"]),
):
    _Loader.add_implicit_resolver(_tag, re.compile(_pattern), _first)


@dataclass
class Parsed:
    data: dict[str, object]
    source_map: SourceMap
    problems: list[Problem] = field(default_factory=list)
    # Unquoted YAML scalars read as a number/bool/null, with their text: `id: 1` may be meant as
    # the string "1"; the loader retries those where the model wants a string.
    plain_text: dict[Loc, str] = field(default_factory=dict)


class _TooComplex(Exception):
    pass


def _pos(node: Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    """Turns composed nodes into dicts/lists/scalars, recording every position on the way."""

    def __init__(self, source_map: SourceMap) -> None:
        self.map = source_map
        self.problems: list[Problem] = []
        self.plain_text: dict[Loc, str] = {}
        self._count = 0

    def build(self, node: Node, loc: Loc, depth: int = 0) -> object:
        self._count += 1
        if self._count > _MAX_NODES or depth > _MAX_DEPTH:
            raise _TooComplex
        self.map.values[loc] = _pos(node)
        if isinstance(node, ScalarNode):
            self.map.scalars.add(loc)
            return self._scalar(node, loc)
        if isinstance(node, SequenceNode):
            return [self.build(item, (*loc, i), depth + 1) for i, item in enumerate(node.value)]
        assert isinstance(node, MappingNode)
        return self._mapping(node, loc, depth)

    def _mapping(self, node: MappingNode, loc: Loc, depth: int) -> dict[str, object]:
        result: dict[str, object] = {}
        # `<<: *base` merges: explicit keys win, and earlier merged mappings win over later ones.
        merges = [value for key, value in node.value if key.tag == _MERGE]
        for source in reversed(merges):
            parts = source.value if isinstance(source, SequenceNode) else [source]
            for part in reversed(parts):
                if isinstance(part, MappingNode):
                    result.update(self._mapping(part, loc, depth + 1))
                else:
                    self.problems.append(
                        self.map.problem(loc, "'<<' must merge a mapping or a list of mappings")
                    )
        self.map.values[loc] = _pos(node)
        first_seen: dict[str, Position] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                continue
            if not isinstance(key_node, ScalarNode):
                where = _pos(key_node)
                self.problems.append(
                    file_problem(self.map.file, "a mapping key must be a plain name", where)
                )
                continue
            key = str(key_node.value)
            key_loc = (*loc, key)
            if key in first_seen:
                message = f"duplicate key '{key}' (first set on line {first_seen[key].line})"
                self.problems.append(_at(self.map, key_loc, message, _pos(key_node)))
            first_seen[key] = _pos(key_node)
            self.map.keys[key_loc] = _pos(key_node)
            result[key] = self.build(value_node, key_loc, depth + 1)
        return result

    def _scalar(self, node: ScalarNode, loc: Loc) -> object:
        text: str = node.value
        tag = node.tag
        if tag == _STR:
            return text
        try:
            value = _convert(tag, text)
        except ValueError:
            short = tag.removeprefix(_TAG)
            self.problems.append(self.map.problem(loc, f"cannot read '{text}' as !!{short}"))
            return text
        if value is _UNKNOWN:
            self.problems.append(self.map.problem(loc, f"unsupported YAML tag '{tag}'"))
            return text
        if node.style is None and value is not None:  # an empty `prompt:` is not the text ""
            self.plain_text[loc] = text
        return value


_UNKNOWN = object()


def _convert(tag: str, text: str) -> object:
    if tag == _NULL:
        return None
    if tag == _BOOL:
        if text.lower() not in ("true", "false"):
            raise ValueError(text)
        return text.lower() == "true"
    if tag == _INT:
        body = text.lstrip("+-")
        base = 8 if body[:2] in ("0o", "0O") else 16 if body[:2] in ("0x", "0X") else 10
        digits = body[2:] if base != 10 else body
        return (-1 if text.startswith("-") else 1) * int(digits, base)
    if tag == _FLOAT:
        lowered = text.lower()
        if lowered.lstrip("+-") == ".inf":
            return -math.inf if lowered.startswith("-") else math.inf
        if lowered == ".nan":
            return math.nan
        return float(text)
    return _UNKNOWN


def _at(source_map: SourceMap, loc: Loc, message: str, where: Position) -> Problem:
    return Problem(source_map.file, where.line, where.column, format_path(loc), message)


def _fail(file: str, message: str, where: Position | None = None) -> ProductionError:
    return ProductionError([file_problem(file, message, where or Position(1, 1))])


def read_text(path: Path, file: str) -> str:
    """The file's text; every way of failing becomes a one-problem ProductionError."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise _fail(file, "file not found") from None
    except IsADirectoryError:
        raise _fail(file, "is a directory, not a production file") from None
    except PermissionError:
        raise _fail(file, "cannot read the file: permission denied") from None
    except OSError as exc:
        raise _fail(file, f"cannot read the file: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        column = len(raw[line_start : exc.start].decode("utf-8", errors="replace")) + 1
        where = Position(raw.count(b"\n", 0, exc.start) + 1, column)
        bad = raw[exc.start : exc.start + 1].hex()
        raise _fail(file, f"file is not valid UTF-8 text (byte 0x{bad})", where) from None


def _compose(text: str) -> Node | None:
    loader = _Loader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def _syntax_problem(file: str, text: str, exc: yaml.YAMLError) -> ProductionError:
    if isinstance(exc, yaml.reader.ReaderError) and isinstance(exc.character, int):
        before = text[: exc.position]
        where = Position(before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1)
        message = f"YAML does not allow the control character U+{exc.character:04X}"
        return _fail(file, message, where)
    if not isinstance(exc, yaml.MarkedYAMLError) or exc.problem_mark is None:
        return _fail(file, f"YAML syntax error: {exc}")
    mark = exc.problem_mark
    message = f"YAML syntax error: {exc.problem}"
    if exc.context and exc.context_mark is not None:
        message += f" ({exc.context} on line {exc.context_mark.line + 1})"
    if "\\t" in str(exc.problem):
        message += "; indent with spaces, not tabs"
    return _fail(file, message, Position(mark.line + 1, mark.column + 1))


def _describe_top(value: object) -> str:
    return "a list" if isinstance(value, list) else f"a single value ({value!r})"


def _build(node: Node, source_map: SourceMap) -> tuple[object, _Builder]:
    builder = _Builder(source_map)
    try:
        return builder.build(node, ()), builder
    except (_TooComplex, RecursionError):
        raise _fail(
            source_map.file,
            "the file is too deeply nested or its aliases expand too far to be a production",
        ) from None


def parse_file(path: Path, file: str) -> Parsed:
    """Parse ``path`` (reported as ``file``) into data and positions, or raise ProductionError."""
    text = read_text(path, file)
    suffix = path.suffix.lower()
    if suffix not in YAML_SUFFIXES + JSON_SUFFIXES:
        raise _fail(
            file, f"unsupported file type '{suffix or path.name}'; use .yaml, .yml or .json"
        )
    if not text.strip():
        raise _fail(file, "the production file is empty")
    source_map = SourceMap(file)
    if suffix in JSON_SUFFIXES:
        return _parse_json(text, source_map)
    try:
        node = _compose(text)
    except yaml.YAMLError as exc:
        raise _syntax_problem(file, text, exc) from None
    data, builder = (None, None) if node is None else _build(node, source_map)
    if data is None or builder is None:  # only comments, or an empty document (`---`)
        raise _fail(file, "the production file is empty")
    if not isinstance(data, dict):
        raise _fail(file, _top_level_message(data), Position(1, 1))
    return Parsed(data, source_map, builder.problems, builder.plain_text)


def _top_level_message(data: object) -> str:
    return (
        "the production must be a mapping with title, delivery, elements and shots; "
        f"got {_describe_top(data)}"
    )


def _parse_json(text: str, source_map: SourceMap) -> Parsed:
    file = source_map.file
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(
            file, f"JSON syntax error: {exc.msg}", Position(exc.lineno, exc.colno)
        ) from None
    if not isinstance(data, dict):
        raise _fail(file, _top_level_message(data))
    problems: list[Problem] = []
    try:
        # JSON forbids raw tabs inside strings, so outside them a tab → space swap keeps every
        # column and lets the YAML scanner (which rejects tab indentation) read the file.
        node = _compose(text.replace("\t", " "))
        if node is not None:
            problems = _build(node, source_map)[1].problems
    except (yaml.YAMLError, ProductionError):
        pass  # positions are a nicety: without them problems point at line 1
    return Parsed(data, source_map, problems)
