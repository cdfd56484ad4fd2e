"""Loading a production file: parsing, file-level failures, and located validation errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from production_helpers import at, problems_of, where, write
from reelforge._exceptions import ProductionError
from reelforge.production import (
    Camera,
    LoadedProduction,
    ShotSize,
    SubtitleMode,
    TransitionKind,
    load_production,
    locate,
)

# --- a valid production -----------------------------------------------------------------------


def test_valid_production_loads_and_resolves_paths_relative_to_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    (project / "refs").mkdir(parents=True)
    Image.new("RGB", (16, 16), "red").save(project / "refs" / "alice.png")
    Image.new("RGB", (16, 16), "blue").save(project / "start.png")
    (project / "alice.wav").write_bytes(b"RIFF")
    path = write(
        project,
        """
        title: Demo
        delivery:
          resolution: 1920x1080
          fps: 25
          subtitles: off
        elements:
          alice:
            description: a woman in a red coat
            references: [refs/alice.png]
            voice: alice.wav
          narrator:
            voice: en_US-lessac-medium
        shots:
          - id: 1
            prompt: Alice enters
            duration: 4
            camera: dolly_in
            size: close_up
            elements: [alice]
            first_frame: start.png
            transition: {kind: dip_to_black, duration: 1}
            dialogue:
              - {speaker: alice, line: Hello, at: 1}
          - id: s2
            prompt: The street
            duration: 3.5
            transition: {kind: crossfade, duration: 0.5}
        """,
    )
    # Load from another working directory: resolution must not depend on it.
    monkeypatch.chdir(tmp_path)
    loaded = load_production(Path("project") / "p.yaml")

    assert isinstance(loaded, LoadedProduction)
    assert loaded.source == path.resolve()
    assert loaded.base_dir == project.resolve()
    prod = loaded.production
    assert prod.delivery.size == (1920, 1080)
    assert prod.delivery.subtitles is SubtitleMode.off  # YAML 1.1 would have read `off` as false
    first, second = prod.shots
    assert first.id == "1"  # an unquoted number where text is expected keeps its text
    assert first.camera is Camera.dolly_in
    assert first.size is ShotSize.close_up
    assert first.transition.kind is TransitionKind.dip_to_black
    assert second.transition.kind is TransitionKind.crossfade
    assert second.transition.duration == 0.5
    ref = prod.elements["alice"].references[0]
    assert loaded.resolve(ref) == (project / "refs" / "alice.png").resolve()
    assert loaded.resolve(first.first_frame or "").is_file()


def test_yaml_merge_keys_and_anchors_are_supported(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        title: Merge
        shots:
          - &base {id: a, prompt: base prompt, duration: 2, camera: pan_left}
          - <<: *base
            id: b
            camera: pan_right
        """,
    )
    shots = load_production(path).production.shots
    assert [s.id for s in shots] == ["a", "b"]
    assert shots[1].prompt == "base prompt"
    assert shots[1].camera is Camera.pan_right


# --- file-level failures ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "expected", "line", "column"),
    [
        ("empty.yaml", b"", "the production file is empty", 1, 1),
        ("blank.yml", b"\n   \n", "the production file is empty", 1, 1),
        ("comments.yaml", b"# nothing yet\n---\n", "the production file is empty", 1, 1),
        ("list.yaml", b"- a\n- b\n", "must be a mapping", 1, 1),
        ("scalar.json", b'"hello"', "must be a mapping", 1, 1),
        ("latin1.yaml", b"title: ok\nshots: caf\xe9\n", "not valid UTF-8", 2, 11),
        ("notes.txt", b"title: x\n", "unsupported file type '.txt'", 1, 1),
        ("loop.yaml", b"a: &a [*a]\n", "too deeply nested", 1, 1),
        ("nul.yaml", b"title: x\nshots: a\x00b\n", "control character U+0000", 2, 9),
    ],
)
def test_file_level_failures_are_one_located_problem(
    tmp_path: Path, name: str, content: bytes, expected: str, line: int, column: int
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    (problem,) = problems_of(path)
    assert expected in problem.message
    assert (problem.file, problem.line, problem.column, problem.path) == (
        str(path),
        line,
        column,
        "",
    )


def test_missing_file_and_directory_are_problems_not_tracebacks(tmp_path: Path) -> None:
    (missing,) = problems_of(tmp_path / "nope.yaml")
    assert missing.message == "file not found"
    assert where(missing) == (1, 1)
    (folder,) = problems_of(tmp_path)
    assert "is a directory" in folder.message


def test_unreadable_file_is_a_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "title: x\n")

    def denied(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    # chmod does not stop root (CI containers); fail the read itself instead.
    monkeypatch.setattr(Path, "read_bytes", denied)
    (problem,) = problems_of(path)
    assert problem.message == "cannot read the file: permission denied"
    assert where(problem) == (1, 1)


def test_yaml_syntax_error_reports_the_parser_position(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        title: x
        shots:
          - id: a
            prompt: p
           duration: 3
        """,
    )
    (problem,) = problems_of(path)
    assert problem.message.startswith("YAML syntax error:")
    assert where(problem) == (5, 4)


def test_tab_indentation_hint(tmp_path: Path) -> None:
    path = tmp_path / "tabs.yaml"
    path.write_text("title: x\nshots:\n  - id: a\n\tprompt: b\n", encoding="utf-8")
    (problem,) = problems_of(path)
    assert "not tabs" in problem.message
    assert where(problem) == (4, 1)


def test_json_syntax_error_reports_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text('{\n  "title": "x",\n  "shots": [1,]\n}\n', encoding="utf-8")
    (problem,) = problems_of(path)
    assert problem.message.startswith("JSON syntax error:")
    assert where(problem) == (3, 15)


def test_json_validation_errors_are_located(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    # Tab-indented JSON is valid JSON even though YAML forbids tab indentation.
    path.write_text(
        '{\n\t"title": "x",\n\t"shots": [\n'
        '\t\t{"id": "a", "prompt": "p", "duration": 3, "camera": "dolly-out"},\n'
        '\t\t{"id": "b", "prompt": "q"}\n\t]\n}\n',
        encoding="utf-8",
    )
    problems = problems_of(path)
    camera = at(problems, "shots[0].camera")
    assert camera.message == "unknown camera move 'dolly-out' (did you mean 'dolly_out'?)"
    assert where(camera) == (4, 55)
    missing = at(problems, "shots[1].duration")
    assert missing.message == "missing required field 'duration'"
    assert where(missing) == (5, 3)  # the shot's `{`
    assert len(problems) == 2


# --- many problems at once --------------------------------------------------------------------


def test_all_problems_are_reported_at_once_sorted_and_formatted(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        title: Demo
        delivery:
          fps: 23
        shots:
          - id: a
            prompt: one
            duration: 90
            camera: dolly-in
          - id: a
            prompt: two
            duration: 3
            elements: [ghost]
        """,
    )
    with pytest.raises(ProductionError) as info:
        load_production(path)
    error = info.value
    got = [(p.line, p.column, p.path) for p in error.problems]
    assert got == [
        (3, 8, "delivery.fps"),
        (7, 15, "shots[0].duration"),
        (8, 13, "shots[0].camera"),
        (9, 9, "shots[1].id"),
        (12, 16, "shots[1].elements[0]"),
    ]
    text = str(error)
    assert text.startswith("5 problems in the production file:\n")
    assert f"{path}:8:13: shots[0].camera: unknown camera move 'dolly-in'" in text
    assert f"{path}:9:9: shots[1].id: duplicate shot id 'a'" in text
    lines = text.splitlines()[1:]
    assert lines == [
        f"  {p.file}:{p.line}:{p.column}: {p.path}: {p.message}" for p in error.problems
    ]


def test_problem_file_is_the_path_as_given(tmp_path: Path) -> None:
    path = write(tmp_path, "title: t\nshots:\n  - {id: a, prompt: p, duration: 1, camera: zom}\n")
    (problem,) = problems_of(path)
    assert problem.file == str(path)
    with pytest.raises(ProductionError) as info:
        load_production(str(path))
    assert info.value.problems[0].file == str(path)


def test_json_files_are_read_with_json_semantics(tmp_path: Path) -> None:
    data = {"title": "J", "shots": [{"id": "a", "prompt": "p", "duration": 2, "seed": 7}]}
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    loaded = load_production(path)
    assert loaded.production.shots[0].seed == 7
    data["shots"][0]["id"] = 5  # type: ignore[index]
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    # JSON says explicitly it is a number; unlike bare YAML words it is not taken as text.
    problem = at(problems_of(path), "shots[0].id")
    assert problem.message == "id must be text, got 5"
    assert where(problem) == (5, 13)


def test_locate_finds_fields_of_a_loaded_production(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        title: Demo
        shots:
          - id: a
            prompt: p
            duration: 2
            model: previz
          - {id: b, prompt: q, duration: 1}
        """,
    )
    loaded = load_production(path)
    assert locate(loaded, "shots[0].model") == (6, 12)
    assert locate(loaded, "shots[1].model") == (7, 5)  # defaulted: its shot's mapping
    assert locate(loaded, "title") == (1, 8)
    with pytest.raises(ValueError, match="malformed field path"):
        locate(loaded, "shots[one]")
    path.unlink()
    assert locate(loaded, "shots[0].model") == (1, 1)
