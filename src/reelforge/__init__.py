"""reelforge: a written production becomes a finished, assembled video.

The public Python API; everything else is internal and may move::

    import reelforge

    result = reelforge.render("examples/night-market.yaml", out="out")
    print(result.cut, result.report)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from reelforge._exceptions import (
    AudioError,
    GeneratorError,
    MediaError,
    Problem,
    ProductionError,
    ReelforgeError,
    RunNotFound,
    StoreError,
    UnknownGenerator,
)

if TYPE_CHECKING:
    from reelforge.jobs.events import EventSink
    from reelforge.pipeline import RenderResult
    from reelforge.production.model import LoadedProduction

__version__ = "0.1.0"


def load(path: str | Path) -> LoadedProduction:
    """Load and check a production file; raises ProductionError listing every problem."""
    from reelforge.audio.tts.voices import voice_problem
    from reelforge.generators.registry import KnownModels
    from reelforge.production import load_production

    return load_production(path, known_models=KnownModels(), voice_check=voice_problem)


def render(
    path: str | Path,
    out: str | Path = "out",
    *,
    on_event: EventSink | None = None,
    preset: str | None = None,
    workers: int | None = None,
) -> RenderResult:
    """Render the production at `path` into the folder `out` (cut, subtitles, report)."""
    from reelforge.jobs.events import ignore
    from reelforge.pipeline import render_production

    return render_production(
        load(path), Path(out), on_event=on_event or ignore, preset=preset, workers=workers
    )


__all__ = [
    "AudioError",
    "GeneratorError",
    "MediaError",
    "Problem",
    "ProductionError",
    "ReelforgeError",
    "RunNotFound",
    "StoreError",
    "UnknownGenerator",
    "__version__",
    "load",
    "render",
]
