"""Validation errors from the model: located at the offending node and worded for humans."""

from __future__ import annotations

from pathlib import Path

import pytest

from production_helpers import at, problems_of, where, write
from reelforge.production import Camera, load_production

# --- pydantic errors, located and worded ------------------------------------------------------

BASE = """
title: Demo
shots:
  - id: s1
    prompt: a room
    duration: 4
"""


def test_unknown_field_is_located_at_the_key_and_suggests_the_nearest(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        title: Demo
        shots:
          - id: s1
            prompt: a room
            duraton: 4
        """,
    )
    problems = problems_of(path)
    assert [p.path for p in problems] == ["shots[0].duraton"]  # no extra "missing duration"
    assert problems[0].message == "unknown field 'duraton' (did you mean 'duration'?)"
    assert where(problems[0]) == (5, 5)


def test_unknown_field_without_a_near_match_lists_valid_fields(tmp_path: Path) -> None:
    path = write(tmp_path, BASE + "delivery:\n  colour: red\n")
    problem = at(problems_of(path), "delivery.colour")
    assert problem.message == (
        "unknown field 'colour'; valid fields: resolution, fps, loudness, subtitles, max_budget_usd"
    )
    assert where(problem) == (7, 3)


def test_missing_field_is_located_at_its_parent_mapping(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        title: Demo
        shots:
          - id: s1
            duration: 4
        """,
    )
    problem = at(problems_of(path), "shots[0].prompt")
    assert problem.message == "missing required field 'prompt'"
    assert where(problem) == (3, 5)


def test_missing_top_level_field(tmp_path: Path) -> None:
    path = write(tmp_path, "shots:\n  - {id: a, prompt: p, duration: 1}\n")
    problem = at(problems_of(path), "title")
    assert problem.message == "missing required field 'title'"
    assert where(problem) == (1, 1)


def test_duration_out_of_range_message(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("duration: 4", "duration: 90"))
    problem = at(problems_of(path), "shots[0].duration")
    assert problem.message == "duration must be between 0.5 and 60 seconds, got 90"
    assert where(problem) == (5, 15)


@pytest.mark.parametrize(
    ("field", "word", "message"),
    [
        ("camera", "dolly-in", "unknown camera move 'dolly-in' (did you mean 'dolly_in'?)"),
        ("camera", "Pan Left", "unknown camera move 'Pan Left' (did you mean 'pan_left'?)"),
        ("camera", "tilt_upp", "unknown camera move 'tilt_upp' (did you mean 'tilt_up'?)"),
        ("size", "closeup", "unknown shot size 'closeup' (did you mean 'close_up'?)"),
        (
            "transition",
            "crosfade",
            "unknown transition kind 'crosfade' (did you mean 'crossfade'?)",
        ),
    ],
)
def test_unknown_enum_word_suggests_the_nearest(
    tmp_path: Path, field: str, word: str, message: str
) -> None:
    path = write(tmp_path, BASE + f"    {field}: {word}\n")
    # The shorthand `transition: x` has no `kind` node: the problem sits on the string itself.
    problem = at(problems_of(path), f"shots[0].{field}")
    assert problem.message == message
    assert where(problem) == (6, len(field) + 7)


def test_unknown_camera_with_nothing_close_lists_all_choices(tmp_path: Path) -> None:
    path = write(tmp_path, BASE + "    camera: wobble\n")
    problem = at(problems_of(path), "shots[0].camera")
    head, choices = problem.message.split("; choose one of: ")
    assert head == "unknown camera move 'wobble'"
    assert choices.split(", ") == [c.value for c in Camera]


def test_unknown_transition_kind_in_mapping_form_and_subtitles_mode(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        BASE + "    transition: {kind: wipe, duration: 1}\n" + "delivery:\n  subtitles: burnin\n",
    )
    problems = problems_of(path)
    kind = at(problems, "shots[0].transition.kind")
    assert kind.message.startswith("unknown transition kind 'wipe'; choose one of: cut,")
    assert where(kind) == (6, 24)
    subs = at(problems, "delivery.subtitles")
    assert subs.message == "unknown subtitles mode 'burnin' (did you mean 'burn'?)"
    assert where(subs) == (8, 14)


@pytest.mark.parametrize(
    ("extra", "path", "message", "position"),
    [
        (
            "delivery: {fps: 29.97}\n",
            "delivery.fps",
            "fps must be one of 24, 25, 30 or 60, got 29.97",
            (6, 17),
        ),
        (
            "delivery: {resolution: 720p}\n",
            "delivery.resolution",
            "resolution must look like WIDTHxHEIGHT (e.g. 1280x720), got '720p'",
            (6, 24),
        ),
        (
            "delivery: {resolution: 1279x720}\n",
            "delivery.resolution",
            "width and height must be even for yuv420p video, got 1279x720",
            (6, 24),
        ),
        (
            "delivery: {loudness: 0}\n",
            "delivery.loudness",
            "loudness must be between -40 and -5 LUFS, got 0",
            (6, 22),
        ),
        (
            "delivery: {max_budget_usd: -1}\n",
            "delivery.max_budget_usd",
            "max_budget_usd must be at least 0, got -1",
            (6, 28),
        ),
        (
            "elements: {bob: {refs: []}}\n",
            "elements.bob.refs",
            "unknown field 'refs' (did you mean 'references'?)",
            (6, 18),
        ),
        ("title2: x\n", "title2", "unknown field 'title2' (did you mean 'title'?)", (6, 1)),
        (
            "elements: {bob: null}\n",
            "elements.bob",
            "elements.bob must be a mapping (with description",
            (6, 17),
        ),
    ],
)
def test_delivery_and_top_level_messages(
    tmp_path: Path, extra: str, path: str, message: str, position: tuple[int, int]
) -> None:
    problem = at(problems_of(write(tmp_path, BASE + extra)), path)
    assert problem.message.startswith(message)
    assert where(problem) == position


@pytest.mark.parametrize(
    ("line", "path", "message"),
    [
        ("    seed: 1.5", "shots[0].seed", "seed must be a whole number, got 1.5"),
        ("    seed: -1", "shots[0].seed", "seed must be between 0 and 4294967295, got -1"),
        ("    prompt2: ''", "shots[0].prompt2", "unknown field 'prompt2' (did you mean 'prompt'?)"),
        ("    elements: alice", "shots[0].elements", "elements must be a list, got 'alice'"),
        ("    transition: 5", "shots[0].transition", "transition must be a kind (cut, crossfade"),
        ("    dialogue: [{speaker: a}]", "shots[0].dialogue[0].line", "missing required field"),
        (
            "    first_frame: [a.png]",
            "shots[0].first_frame",
            "first_frame must be text, got a list",
        ),
    ],
)
def test_shot_field_messages(tmp_path: Path, line: str, path: str, message: str) -> None:
    problem = at(problems_of(write(tmp_path, BASE + line + "\n")), path)
    assert problem.message.startswith(message)
    assert problem.line == 6


def test_bare_words_become_text_only_where_text_is_expected(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        title: 2024
        shots:
          - {id: 7, prompt: true, duration: "2.5", seed: 12}
          - {id: 8, prompt: null, duration: 1}
        """,
    )
    problems = problems_of(path)
    # title, ids and the first prompt are read as the text written; null is not "null".
    (problem,) = problems
    assert problem.path == "shots[1].prompt"
    assert problem.message == "prompt must be text, got nothing (an empty value)"
    path.write_text(path.read_text().replace("prompt: null", "prompt: p"))
    prod = load_production(path).production
    assert prod.title == "2024"
    assert [(s.id, s.prompt, s.duration, s.seed) for s in prod.shots] == [
        ("7", "true", 2.5, 12),
        ("8", "p", 1.0, 0),
    ]


def test_empty_prompt_and_bad_shot_id(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        title: Demo
        shots:
          - id: my shot
            prompt: ""
            duration: 2
          - just a string
        """,
    )
    problems = problems_of(path)
    assert where(at(problems, "shots[0].id")) == (3, 9)
    assert "may use only letters, digits" in at(problems, "shots[0].id").message
    assert at(problems, "shots[0].prompt").message == "prompt must not be empty"
    bad = at(problems, "shots[1]")
    assert bad.message.startswith("shots[1] must be a mapping (with id, prompt, duration, …)")
    assert where(bad) == (6, 5)


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    path = write(tmp_path, BASE + "title: Again\n")
    problem = at(problems_of(path), "title")
    assert problem.message == "duplicate key 'title' (first set on line 1)"
    assert where(problem) == (6, 1)


@pytest.mark.parametrize(
    "text",
    [
        "title: x\nshots: 5\n",
        "title: x\nshots: [null]\n",
        "title: [1, 2]\nshots: []\n",
        "title: x\ndelivery: null\nelements: [a]\nshots: [{}]\n",
        "title: x\nshots:\n  - {id: a, prompt: p, duration: x, transition: {duration: abc}}\n",
        "title: x\nshots:\n  - {id: a, prompt: p, duration: 1, dialogue: [5, {at: x}]}\n",
        "title: x\n? [complex, key]\n: 1\nshots: []\n",
        "title: !!int nope\nshots: []\n",
        "title: !custom x\nshots: []\n",
    ],
)
def test_odd_shapes_give_problems_never_tracebacks(tmp_path: Path, text: str) -> None:
    problems = problems_of(write(tmp_path, text))
    assert problems
    assert all(p.line >= 1 and p.column >= 1 and p.message for p in problems)
