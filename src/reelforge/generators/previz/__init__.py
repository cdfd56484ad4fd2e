"""The local previz generator: a fast, deterministic animatic of a shot.

Layers (scenery from the prompt's words, elements as cards or labelled silhouettes) are painted
once per shot at a working resolution; each frame moves them through a 2.5-D camera, adds weather,
a slate and subtitles, and swscale scales it to the delivery size while converting to yuv420p.
"""

from .compose import iter_frames
from .generator import PrevizGenerator
from .palette import Look, look_for_prompt
from .scene import working_size

__all__ = ["Look", "PrevizGenerator", "iter_frames", "look_for_prompt", "working_size"]
