"""H.264 encoding with PyAV: the working-size RGB frames go through swscale once, which scales
them to the delivery size and converts to yuv420p in the same pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import ColorRange, Colorspace
from PIL import Image

from reelforge.media.h264 import DRAFT_CRF, DRAFT_PRESET, apply_settings, house_settings

DEFAULT_PRESET = DRAFT_PRESET
DEFAULT_CRF = DRAFT_CRF


def encode(
    frames: Iterable[Image.Image | np.ndarray],
    out: Path,
    *,
    fps: int,
    size: tuple[int, int],
    preset: str = DEFAULT_PRESET,
    crf: int = DEFAULT_CRF,
) -> int:
    """Encode RGB frames into an MP4 at ``size`` and ``fps``; returns how many were written.

    The stream's time base is 1/fps and frame ``i`` has pts ``i``, so the frame count and the
    duration are exact. Colours are converted and tagged as BT.709 limited range, the HD norm.
    """
    width, height = size
    written = 0
    with av.open(str(out), mode="w", format="mp4", options={"movflags": "+faststart"}) as box:
        stream = box.add_stream("libx264", rate=Fraction(fps, 1))
        stream.width = width
        stream.height = height
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, fps)
        # Shared with the smart join, which must reproduce these stream headers exactly.
        apply_settings(stream.codec_context, house_settings(fps, preset=preset, crf=crf))
        for index, frame in enumerate(frames):
            if isinstance(frame, Image.Image):
                video = av.VideoFrame.from_image(frame)
            else:
                video = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
            video = video.reformat(
                width=width,
                height=height,
                format="yuv420p",
                src_colorspace=Colorspace.ITU709,
                dst_colorspace=Colorspace.ITU709,
                src_color_range=ColorRange.JPEG,
                dst_color_range=ColorRange.MPEG,
                interpolation="BILINEAR",
            )
            video.pts = index
            video.time_base = Fraction(1, fps)
            for packet in stream.encode(video):
                box.mux(packet)
            written += 1
        for packet in stream.encode(None):
            box.mux(packet)
    return written
