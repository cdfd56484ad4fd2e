"""The self-contained HTML report written beside the cut."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_PALETTE = ["#0a84ff", "#30b0c7", "#5e5ce6", "#bf5af2", "#ff9f0a", "#34c759", "#ff375f"]


@dataclass
class ShotRow:
    index: int
    id: str
    prompt: str
    camera: str
    size: str
    generator: str
    generator_version: str
    seed: int
    frames: int
    fps: int
    start_frame: int
    transition: str
    transition_frames: int
    seconds: float
    cache_hit: bool
    cache_key: str
    asset: str
    thumbs: list[str] = field(default_factory=list)
    task: str = ""  # the provider's task id, for remote models
    charge: str = ""  # as the provider reported it, with its unit
    adjustments: list[str] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)
    sound: str = "ours"  # "native": the model's own audio plays in the cut; "ours": TTS + ambience
    sound_detail: str = ""


def render_report(path: Path, *, shots: list[ShotRow], total_frames: int, **context: Any) -> Path:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent),
        autoescape=jinja2.select_autoescape(["html"]),
    )
    fps = context["fps"]
    rows = []
    for s in shots:
        start, end = s.start_frame / fps, (s.start_frame + s.frames) / fps
        rows.append(
            {
                **s.__dict__,
                "start": start,
                "end": end,
                "duration": s.frames / fps,
                "transition_seconds": s.transition_frames / fps,
                "left": 100 * s.start_frame / max(1, total_frames),
                "width": 100 * s.frames / max(1, total_frames),
                "colour": _PALETTE[s.index % len(_PALETTE)],
            }
        )
    html = env.get_template("template.html").render(
        shots=rows, frames=total_frames, duration=total_frames / fps, **context
    )
    path.write_text(html, encoding="utf-8")
    return path
