"""Frame-exact timeline arithmetic, shared by the planner, the audio mix and the assembly.

Every duration is turned into a whole number of frames once, here, so that video, audio and
subtitles agree to the frame. A transition into shot *i* overlaps it with shot *i-1* by its
duration (crossfade blends the two; dip_to_black fades out to black and back in over the same
span), so the cut is that much shorter than the sum of its shots.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TimelineShot:
    index: int
    frames: int  # frames this shot's clip contributes, including overlaps
    start: int  # first frame on the cut's timeline
    transition: str  # into this shot: cut, crossfade, dip_to_black
    overlap: int  # frames shared with the previous shot (0 for a cut)
    fade_in: int = 0  # first shot only: a dip_to_black into it fades up from black

    @property
    def end(self) -> int:
        return self.start + self.frames


@dataclass(frozen=True)
class Timeline:
    fps: int
    shots: tuple[TimelineShot, ...]

    @property
    def frames(self) -> int:
        return self.shots[-1].end if self.shots else 0

    @property
    def duration(self) -> float:
        return self.frames / self.fps

    def seconds(self, frame: int) -> float:
        return frame / self.fps

    @property
    def cuts_only(self) -> bool:
        return all(s.overlap == 0 for s in self.shots)


def seconds_to_frames(seconds: float, fps: int) -> int:
    return max(1, round(seconds * fps))


def build_timeline(
    durations: list[float], transitions: list[tuple[str, float]], fps: int
) -> Timeline:
    """`transitions[i]` is (kind, seconds) into shot i; the first shot's is ignored."""
    shots: list[TimelineShot] = []
    position = 0
    for index, (seconds, (kind, tseconds)) in enumerate(zip(durations, transitions, strict=True)):
        frames = seconds_to_frames(seconds, fps)
        overlap = 0
        if index > 0 and kind != "cut":
            overlap = min(round(tseconds * fps), frames - 1, shots[-1].frames - 1)
            overlap = max(overlap, 1)
        fade_in = 0
        if index == 0 and kind == "dip_to_black":
            fade_in = min(max(round(tseconds * fps), 1), frames)
        elif index == 0:
            kind = "cut"
        start = position - overlap
        shots.append(TimelineShot(index, frames, start, kind, overlap, fade_in))
        position = start + frames
    return Timeline(fps, tuple(shots))
