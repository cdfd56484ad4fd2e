"""Cross-field checks: rules that need other shots, the element list or the file system.

They read the raw parsed data rather than the validated model so they still run when pydantic
rejected something else in the file — the user gets every problem in one go. Each check skips
values of the wrong type; pydantic reports those.

Transitions: the ``transition`` of shot *i* is how shot *i* is entered from shot *i-1*, so it
joins those two shots. On the first shot there is nothing to join: ``cut`` is fine,
``dip_to_black`` is allowed and means a fade-in from black, and ``crossfade`` is an error.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, UnidentifiedImageError

from reelforge._exceptions import MediaError, Problem
from reelforge.media.probe import probe

from .model import MAX_REFERENCES, MAX_SHOT_SECONDS, MAX_TRANSITION_SECONDS, MIN_SHOT_SECONDS
from .source import Loc, SourceMap, format_path
from .suggest import nearest
from .translate import number

AUDIO_SUFFIXES = frozenset({".wav", ".mp3", ".flac", ".ogg", ".m4a"})
_RANGE_TYPES = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}


def covered_by_checks(loc: Loc, error_type: str) -> bool:
    """Pydantic errors that a check here words better; the loader drops them to avoid repeats."""
    if loc == ("shots",) and error_type == "too_short":
        return True
    if len(loc) == 3 and loc[0] == "elements" and loc[2] == "references":
        return error_type == "too_long"
    if len(loc) == 4 and loc[0] == "shots" and loc[2:] == ("transition", "duration"):
        return error_type in _RANGE_TYPES
    return False


def _seconds(value: object) -> float | None:
    # Mirrors pydantic's lax float parsing (numbers, numeric strings), never bools.
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _unknown_name(what: str, name: str, defined: set[str]) -> str:
    message = f"{what} '{name}' is not defined under elements"
    guess = nearest(name, sorted(defined))
    if guess is not None:
        return message + f" (did you mean '{guess}'?)"
    if defined:
        return message + f"; defined elements: {', '.join(sorted(defined))}"
    return message + " (no elements are defined)"


class _Checker:
    def __init__(self, source_map: SourceMap, base_dir: Path) -> None:
        self.map = source_map
        self.base_dir = base_dir
        self.problems: list[Problem] = []
        self._image_cache: dict[Path, str | None] = {}

    def add(self, loc: Loc, message: str) -> None:
        self.problems.append(self.map.problem(loc, message))

    def resolve(self, relative: str) -> Path:
        # The same rule as LoadedProduction.resolve: relative to the production file.
        return (self.base_dir / relative).resolve()

    # --- files -------------------------------------------------------------------------------

    def _image_trouble(self, path: Path) -> str | None:
        if path not in self._image_cache:
            self._image_cache[path] = _inspect_image(path)
        return self._image_cache[path]

    def image(self, loc: Loc, what: str, value: object) -> None:
        if not isinstance(value, str):
            return
        path = self.resolve(value)
        trouble = self._image_trouble(path)
        if trouble is not None:
            self.add(loc, f"{what} '{value}' {trouble}")

    def video(self, loc: Loc, value: object) -> None:
        if isinstance(value, str) and (trouble := _inspect_video(self.resolve(value))):
            self.add(loc, f"source_video '{value}' {trouble}")

    def voice(self, loc: Loc, value: object) -> None:
        # A voice is either a TTS voice name or a reference clip; only a path-like one is a file.
        if not isinstance(value, str):
            return
        looks_like_file = Path(value).suffix.lower() in AUDIO_SUFFIXES or any(
            sep in value for sep in "/\\"
        )
        if not looks_like_file:
            return
        path = self.resolve(value)
        if not path.exists():
            self.add(loc, f"voice file '{value}' not found (looked for {path})")
        elif not path.is_file():
            self.add(loc, f"voice file '{value}' is not a file")

    # --- elements ----------------------------------------------------------------------------

    def elements(self, elements: dict[str, object]) -> None:
        for name, element in elements.items():
            if not isinstance(element, dict):
                continue
            loc: Loc = ("elements", name)
            references = element.get("references")
            if isinstance(references, list):
                if len(references) > MAX_REFERENCES:
                    self.add(
                        (*loc, "references"),
                        f"element '{name}' has {len(references)} reference images; "
                        f"at most {MAX_REFERENCES} are allowed",
                    )
                for i, ref in enumerate(references):
                    self.image((*loc, "references", i), "reference image", ref)
            self.voice((*loc, "voice"), element.get("voice"))

    # --- shots -------------------------------------------------------------------------------

    def shots(self, shots: list[object], defined: set[str] | None) -> None:
        if not shots:
            self.add(("shots",), "the production has no shots; add at least one under shots")
            return
        durations: list[float | None] = []
        first_use: dict[str, int] = {}
        for i, shot in enumerate(shots):
            if not isinstance(shot, dict):
                durations.append(None)
                continue
            duration = _seconds(shot.get("duration"))
            if duration is not None and not MIN_SHOT_SECONDS <= duration <= MAX_SHOT_SECONDS:
                duration = None  # out of range: pydantic says so; comparing to it is noise
            durations.append(duration)
            self._shot_id(i, shot.get("id"), first_use)
            self._shot_names(i, shot, defined)
            self._dialogue_times(i, shot, duration)
            for frame in ("first_frame", "last_frame"):
                self.image(("shots", i, frame), f"{frame} image", shot.get(frame))
            self.video(("shots", i, "source_video"), shot.get("source_video"))
        for i, shot in enumerate(shots):
            if isinstance(shot, dict):
                self._transition(i, shot, shots, durations)

    def _shot_id(self, i: int, shot_id: object, first_use: dict[str, int]) -> None:
        if not isinstance(shot_id, str):
            return
        if shot_id in first_use:
            j = first_use[shot_id]
            line = self.map.line_of(("shots", j, "id"))
            self.add(
                ("shots", i, "id"),
                f"duplicate shot id '{shot_id}' (already used by shots[{j}] on line {line})",
            )
        else:
            first_use[shot_id] = i

    def _shot_names(self, i: int, shot: dict[str, object], defined: set[str] | None) -> None:
        if defined is None:  # `elements` itself is malformed; every name would look unknown
            return
        names = shot.get("elements")
        if isinstance(names, list):
            for j, name in enumerate(names):
                if isinstance(name, str) and name not in defined:
                    self.add(("shots", i, "elements", j), _unknown_name("element", name, defined))
        dialogue = shot.get("dialogue")
        for j, line in enumerate(dialogue if isinstance(dialogue, list) else []):
            speaker = line.get("speaker") if isinstance(line, dict) else None
            if isinstance(speaker, str) and speaker not in defined:
                loc: Loc = ("shots", i, "dialogue", j, "speaker")
                self.add(loc, _unknown_name("speaker", speaker, defined))

    def _dialogue_times(self, i: int, shot: dict[str, object], duration: float | None) -> None:
        dialogue = shot.get("dialogue")
        if duration is None or not isinstance(dialogue, list):
            return
        for j, line in enumerate(dialogue):
            at = _seconds(line.get("at")) if isinstance(line, dict) else None
            # A line starting exactly at the end could not be heard either, hence >=.
            if at is not None and at >= duration:
                self.add(
                    ("shots", i, "dialogue", j, "at"),
                    f"dialogue starts at {number(at)} s but {_label(i, shot)} is only "
                    f"{number(duration)} s long",
                )

    def _transition(
        self, i: int, shot: dict[str, object], shots: list[object], durations: list[float | None]
    ) -> None:
        raw = shot.get("transition", "cut")
        loc: Loc = ("shots", i, "transition")
        if isinstance(raw, str):
            kind: object = raw
            given: float | None = 0.0
            has_duration = False
        elif isinstance(raw, dict):
            kind, has_duration = raw.get("kind", "cut"), "duration" in raw
            given = _seconds(raw.get("duration")) if has_duration else 0.0
        else:
            return
        if given is None:
            return  # not a number: pydantic reports it
        seconds = given
        at_duration: Loc = (*loc, "duration") if has_duration else loc
        at_kind: Loc = (*loc, "kind") if isinstance(raw, dict) and "kind" in raw else loc
        limit = number(MAX_TRANSITION_SECONDS)
        if kind == "cut":
            if seconds != 0:
                self.add(
                    at_duration,
                    f"a cut has no duration (got {number(seconds)} s); remove duration, "
                    "or use crossfade or dip_to_black",
                )
            return
        if kind not in ("crossfade", "dip_to_black"):
            # Unknown kind (pydantic reports it); still range-check, as pydantic's is dropped.
            if not 0 <= seconds <= MAX_TRANSITION_SECONDS:
                self.add(
                    at_duration,
                    f"transition duration must be between 0 and {limit} seconds, "
                    f"got {number(seconds)}",
                )
            return
        if i == 0 and kind == "crossfade":
            self.add(
                at_kind,
                "the first shot cannot crossfade: there is no previous shot "
                "(use cut, or dip_to_black to fade in from black)",
            )
        if not 0 < seconds <= MAX_TRANSITION_SECONDS:
            need = f"{kind} needs a duration greater than 0 and at most {limit} seconds"
            if has_duration:
                self.add(at_duration, f"{need}, got {number(seconds)}")
            else:
                self.add(at_duration, f"{need}, e.g. {{kind: {kind}, duration: 0.5}}")
            return
        joined = [i] if i == 0 else [i - 1, i]
        too_short = [(d, j) for j in joined if (d := durations[j]) is not None and seconds > d]
        if too_short:
            shortest, j = min(too_short)
            other = shots[j]
            label = _label(j, other if isinstance(other, dict) else {})
            self.add(
                at_duration,
                f"{kind} of {number(seconds)} s is longer than {label} "
                f"({number(shortest)} s) it joins",
            )


def _label(i: int, shot: dict[str, object]) -> str:
    shot_id = shot.get("id")
    return f"shot '{shot_id}'" if isinstance(shot_id, str) else f"shot {format_path(('shots', i))}"


def _inspect_image(path: Path) -> str | None:
    """None when ``path`` is a readable image, else what is wrong with it (message tail)."""
    if not path.exists():
        return f"not found (looked for {path})"
    if not path.is_file():
        return "is not a file"
    try:
        with Image.open(path) as image:
            image.verify()  # decodes enough to catch truncated or corrupt files, cheaply
    except PermissionError:
        return "cannot be read: permission denied"
    except UnidentifiedImageError:
        return "is not an image (unrecognised format)"
    except Exception as exc:  # PIL raises many types (OSError, SyntaxError, struct.error, ...)
        return f"is not a readable image ({exc})"
    return None


def _inspect_video(path: Path) -> str | None:
    """None when ``path`` is a video with frames and a length, else what is wrong with it."""
    if not path.exists():
        return f"not found (looked for {path})"
    if not path.is_file():
        return "is not a file"
    try:
        info = probe(path)
    except MediaError as exc:
        if isinstance(exc.__cause__, PermissionError):
            return "cannot be read: permission denied"
        return "is not a readable video (unrecognised format or corrupt data)"
    if info.video_codec is None:
        return "has no video stream"
    if info.duration <= 0 or info.frames <= 0:
        return "has no length: a still image or an empty clip is not a video to edit"
    return None


def run_checks(data: dict[str, object], source_map: SourceMap, base_dir: Path) -> list[Problem]:
    """Every cross-field problem in the parsed file ``data`` (paths relative to ``base_dir``)."""
    checker = _Checker(source_map, base_dir)
    elements = data.get("elements", {})
    # Missing elements → none defined; malformed elements → skip name checks (pydantic reports).
    defined: set[str] | None = None
    if elements is None or isinstance(elements, dict):
        defined = set(elements or {})
        checker.elements(elements or {})
    shots = data.get("shots")
    if isinstance(shots, list):
        checker.shots(shots, defined)
    return checker.problems
