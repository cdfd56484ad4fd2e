"""Cross-field checks: names, files, shot ids, transitions and dialogue timing."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from production_helpers import at, problems_of, where, write
from reelforge.production import load_production


def spot(path: Path, line: int, token: str) -> tuple[int, int]:
    """Line and 1-based column of ``token`` on ``line`` of the file, worked out from its text."""
    text = path.read_text(encoding="utf-8").splitlines()[line - 1]
    return line, text.index(token) + 1


def png(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 8), "green").save(path)
    return path


# --- names -----------------------------------------------------------------------------------

CAST = """
title: Names
elements:
  alice: {description: a woman}
  bob: {description: a man}
shots:
  - id: s1
    prompt: p
    duration: 4
"""


def test_shot_element_not_defined_suggests_nearest(tmp_path: Path) -> None:
    path = write(tmp_path, CAST + "    elements: [alice, Bob, zed]\n")
    problems = problems_of(path)
    near = at(problems, "shots[0].elements[1]")
    assert near.message == "element 'Bob' is not defined under elements (did you mean 'bob'?)"
    assert where(near) == spot(path, 9, "Bob")
    far = at(problems, "shots[0].elements[2]")
    assert (
        far.message == "element 'zed' is not defined under elements; defined elements: alice, bob"
    )
    assert where(far) == spot(path, 9, "zed")
    assert len(problems) == 2


def test_element_used_when_none_are_defined(tmp_path: Path) -> None:
    path = write(tmp_path, "title: t\nshots:\n  - {id: a, prompt: p, duration: 1, elements: [x]}\n")
    problem = at(problems_of(path), "shots[0].elements[0]")
    assert problem.message == "element 'x' is not defined under elements (no elements are defined)"
    assert where(problem) == spot(path, 3, "x]")


def test_dialogue_speaker_not_defined_suggests_nearest(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        CAST
        + """\
    dialogue:
      - speaker: alice
        line: Hi
      - speaker: alise
        line: Hello
""",
    )
    (problem,) = problems_of(path)
    assert problem.path == "shots[0].dialogue[1].speaker"
    assert problem.message == (
        "speaker 'alise' is not defined under elements (did you mean 'alice'?)"
    )
    assert where(problem) == (12, 18)


# --- files -----------------------------------------------------------------------------------


def test_reference_images_missing_unreadable_or_not_images(tmp_path: Path) -> None:
    png(tmp_path / "refs" / "ok.png")
    (tmp_path / "refs" / "notes.png").write_text("not an image", encoding="utf-8")
    noisy = tmp_path / "noisy.png"
    Image.frombytes("L", (32, 32), bytes(range(256)) * 4).save(noisy)
    full = noisy.read_bytes()
    (tmp_path / "refs" / "cut.png").write_bytes(full[: len(full) - 30])  # ends inside IDAT
    (tmp_path / "refs" / "folder.png").mkdir()
    path = write(
        tmp_path,
        """
        title: Refs
        elements:
          alice:
            references:
              - refs/ok.png
              - refs/missing.png
              - refs/notes.png
              - refs/cut.png
          bob:
            references: [refs/folder.png]
        shots:
          - {id: a, prompt: p, duration: 1}
        """,
    )
    problems = problems_of(path)
    missing = at(problems, "elements.alice.references[1]")
    expected = (tmp_path / "refs" / "missing.png").resolve()
    assert (
        missing.message == f"reference image 'refs/missing.png' not found (looked for {expected})"
    )
    assert where(missing) == spot(path, 6, "refs/missing")
    notes = at(problems, "elements.alice.references[2]")
    assert notes.message == "reference image 'refs/notes.png' is not an image (unrecognised format)"
    assert where(notes) == spot(path, 7, "refs/notes")
    cut = at(problems, "elements.alice.references[3]")
    assert cut.message.startswith("reference image 'refs/cut.png' is not a readable image (")
    assert at(problems, "elements.bob.references[0]").message.endswith("is not a file")
    assert len(problems) == 4


def test_more_than_four_references_is_reported_once(tmp_path: Path) -> None:
    for i in range(5):
        png(tmp_path / f"r{i}.png")
    path = write(
        tmp_path,
        """
        title: Refs
        elements:
          alice:
            references: [r0.png, r1.png, r2.png, r3.png, r4.png]
        shots:
          - {id: a, prompt: p, duration: 1}
        """,
    )
    (problem,) = problems_of(path)  # pydantic's own max_length error is not repeated
    assert problem.path == "elements.alice.references"
    assert problem.message == "element 'alice' has 5 reference images; at most 4 are allowed"
    assert where(problem) == (4, 17)


def test_first_and_last_frame_must_be_readable_images(tmp_path: Path) -> None:
    png(tmp_path / "start.png")
    (tmp_path / "end.jpg").write_bytes(b"\xff\xd8\xff garbage")
    path = write(
        tmp_path,
        """
        title: Frames
        shots:
          - id: a
            prompt: p
            duration: 2
            first_frame: start.png
            last_frame: end.jpg
          - id: b
            prompt: q
            duration: 2
            first_frame: frames/none.png
        """,
    )
    problems = problems_of(path)
    last = at(problems, "shots[0].last_frame")
    assert last.message.startswith("last_frame image 'end.jpg' is not")
    assert where(last) == (7, 17)
    first = at(problems, "shots[1].first_frame")
    assert first.message.startswith("first_frame image 'frames/none.png' not found (looked for ")
    assert where(first) == (11, 18)
    assert len(problems) == 2


def test_voice_file_paths_must_exist_but_voice_names_are_not_files(tmp_path: Path) -> None:
    (tmp_path / "voices").mkdir()
    (tmp_path / "voices" / "carol.ogg").write_bytes(b"OggS")
    path = write(
        tmp_path,
        """
        title: Voices
        elements:
          alice: {voice: alice.wav}
          bob: {voice: voices/bob}
          carol: {voice: voices/carol.ogg}
          dora: {voice: en_US-lessac-medium}
          eve: {voice: EVE.MP3}
        shots:
          - {id: a, prompt: p, duration: 1}
        """,
    )
    problems = problems_of(path)
    alice = at(problems, "elements.alice.voice")
    assert alice.message == (
        f"voice file 'alice.wav' not found (looked for {(tmp_path / 'alice.wav').resolve()})"
    )
    assert where(alice) == spot(path, 3, "alice.wav")
    assert at(problems, "elements.bob.voice").message.startswith("voice file 'voices/bob' not")
    assert at(problems, "elements.eve.voice").message.startswith("voice file 'EVE.MP3' not")
    assert len(problems) == 3  # carol exists, dora is a TTS voice name


# --- shots -----------------------------------------------------------------------------------


def test_duplicate_shot_ids(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        title: Dupes
        shots:
          - {id: a, prompt: p, duration: 1}
          - {id: b, prompt: p, duration: 1}
          - {id: a, prompt: p, duration: 1}
        """,
    )
    (problem,) = problems_of(path)
    assert problem.path == "shots[2].id"
    assert problem.message == "duplicate shot id 'a' (already used by shots[0] on line 3)"
    assert where(problem) == (5, 10)


def test_zero_shots(tmp_path: Path) -> None:
    (problem,) = problems_of(write(tmp_path, "title: Empty\nshots: []\n"))
    assert problem.path == "shots"
    assert problem.message == "the production has no shots; add at least one under shots"
    assert where(problem) == (2, 8)


def test_dialogue_at_beyond_the_shot(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        title: Talk
        elements: {alice: {}}
        shots:
          - id: a
            prompt: p
            duration: 3
            dialogue:
              - {speaker: alice, line: early, at: 2.5}
              - {speaker: alice, line: on the end, at: 3}
              - {speaker: alice, line: late, at: 7.5}
        """,
    )
    problems = problems_of(path)
    assert [p.path for p in problems] == ["shots[0].dialogue[1].at", "shots[0].dialogue[2].at"]
    late = problems[1]
    assert late.message == "dialogue starts at 7.5 s but shot 'a' is only 3 s long"
    assert where(late) == spot(path, 10, "7.5")


# --- transitions -----------------------------------------------------------------------------


def shots_with(second: str, first: str = "cut", first_duration: float = 4) -> str:
    return f"""
title: Transitions
shots:
  - id: one
    prompt: p
    duration: {first_duration}
    transition: {first}
  - id: two
    prompt: q
    duration: 2
    transition: {second}
"""


@pytest.mark.parametrize(
    ("second", "path", "message", "token"),
    [
        (
            "{kind: cut, duration: 0.5}",
            "shots[1].transition.duration",
            "a cut has no duration (got 0.5 s); remove duration, or use crossfade or dip_to_black",
            "0.5",
        ),
        (
            "crossfade",
            "shots[1].transition",
            "crossfade needs a duration greater than 0 and at most 5 seconds, "
            "e.g. {kind: crossfade, duration: 0.5}",
            "crossfade",
        ),
        (
            "{kind: crossfade, duration: 0}",
            "shots[1].transition.duration",
            "crossfade needs a duration greater than 0 and at most 5 seconds, got 0",
            "0}",
        ),
        (
            "{kind: dip_to_black, duration: 6}",
            "shots[1].transition.duration",
            "dip_to_black needs a duration greater than 0 and at most 5 seconds, got 6",
            "6}",
        ),
        (
            "{kind: crossfade, duration: 3}",
            "shots[1].transition.duration",
            "crossfade of 3 s is longer than shot 'two' (2 s) it joins",
            "3}",
        ),
        (
            "{kind: wipe, duration: 9}",
            "shots[1].transition.duration",
            "transition duration must be between 0 and 5 seconds, got 9",
            "9}",
        ),
    ],
)
def test_transition_duration_rules(
    tmp_path: Path, second: str, path: str, message: str, token: str
) -> None:
    file = write(tmp_path, shots_with(second))
    problem = at(problems_of(file), path)  # exactly one: pydantic's range error is not repeated
    assert problem.message == message
    assert where(problem) == spot(file, 10, token)


def test_transition_longer_than_the_previous_shot(tmp_path: Path) -> None:
    text = shots_with("{kind: crossfade, duration: 1.5}", first_duration=1)
    (problem,) = problems_of(write(tmp_path, text))
    assert problem.path == "shots[1].transition.duration"
    assert problem.message == "crossfade of 1.5 s is longer than shot 'one' (1 s) it joins"


def test_valid_transitions_load(tmp_path: Path) -> None:
    text = shots_with("{kind: crossfade, duration: 2}", first="{kind: dip_to_black, duration: 1}")
    shots = load_production(write(tmp_path, text)).production.shots
    assert [s.transition.duration for s in shots] == [1.0, 2.0]


def test_first_shot_cannot_crossfade_but_may_fade_in_from_black(tmp_path: Path) -> None:
    text = shots_with("cut", first="{kind: crossfade, duration: 1}")
    (problem,) = problems_of(write(tmp_path, text))
    assert problem.path == "shots[0].transition.kind"
    assert problem.message == (
        "the first shot cannot crossfade: there is no previous shot "
        "(use cut, or dip_to_black to fade in from black)"
    )
    assert where(problem) == (6, 24)
    # A fade-in still has to fit in the shot it fades into.
    text = shots_with("cut", first="{kind: dip_to_black, duration: 3}", first_duration=2)
    (problem,) = problems_of(write(tmp_path, text))
    assert problem.message == "dip_to_black of 3 s is longer than shot 'one' (2 s) it joins"


# --- together --------------------------------------------------------------------------------


def test_checks_run_alongside_validation_errors(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        title: Both
        shots:
          - id: a
            prompt: p
            duration: 2
            camera: spin
            elements: [ghost]
            first_frame: nope.png
          - id: a
            prompt: ""
            duration: 2
            transition: {kind: crossfade, duration: 9}
        """,
    )
    problems = problems_of(path)
    assert [(p.line, p.path) for p in problems] == [
        (6, "shots[0].camera"),
        (7, "shots[0].elements[0]"),
        (8, "shots[0].first_frame"),
        (9, "shots[1].id"),
        (10, "shots[1].prompt"),
        (12, "shots[1].transition.duration"),
    ]
