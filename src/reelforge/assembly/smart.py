"""Smart joining: copy every frame that is not part of a transition, re-encode only the rest.

When all clips share one H.264 configuration (same SPS/PPS, no B-frames — previz output is
such), a cut can be stitched in one stream: each clip's untouched middle, from its first
keyframe after the incoming transition to the start of the outgoing one, is copied packet for
packet; only the transitions (and the frames up to that keyframe) are blended and encoded, by an
encoder configured like the clips' and checked to produce the very same stream headers. If the
headers differ, nothing is written and the caller falls back to a full encode.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from reelforge.media.h264 import apply_settings
from reelforge.plan.timeline import Timeline


@dataclass(frozen=True)
class ClipIndex:
    """Where a clip's keyframes are and whether it can be cut anywhere (no B-frames)."""

    path: Path
    keyframes: tuple[int, ...]
    extradata: bytes
    reorders: bool


def index_clip(path: Path, fps: int) -> ClipIndex:
    import av

    with av.open(str(path)) as box:
        stream = box.streams.video[0]
        tb = stream.time_base
        keys, reorders = [], False
        for packet in (p for p in box.demux(stream) if p.size):
            if packet.pts != packet.dts:
                reorders = True
            if packet.is_keyframe and packet.pts is not None and tb is not None:
                keys.append(round(packet.pts * tb * fps))
        extradata = bytes(stream.codec_context.extradata or b"")
    return ClipIndex(path, tuple(keys), extradata, reorders)


def _nal_units(data: bytes) -> list[bytes]:
    """Split an Annex B byte stream at its start codes (00 00 01, or 00 00 00 01)."""
    units = []
    start = data.find(b"\x00\x00\x01")
    while start >= 0:
        start += 3
        nxt = data.find(b"\x00\x00\x01", start)
        end = len(data) if nxt < 0 else nxt
        unit = data[start:end]
        if nxt >= 0:
            unit = unit.rstrip(b"\x00")  # the leading zero of a 4-byte start code
        if unit:
            units.append(unit)
        start = nxt
    return units


def parameter_sets(extradata: bytes) -> tuple[bytes, ...]:
    """The SPS and PPS NAL units, from avcC (MP4) or Annex B extradata alike."""
    if extradata[:1] == b"\x01" and len(extradata) > 6:  # avcC
        units, pos = [], 5
        for count_mask in (0x1F, 0xFF):
            count = extradata[pos] & count_mask
            pos += 1
            for _ in range(count):
                size = int.from_bytes(extradata[pos : pos + 2], "big")
                units.append(extradata[pos + 2 : pos + 2 + size])
                pos += 2 + size
        return tuple(units)
    return tuple(u for u in _nal_units(extradata) if u[0] & 0x1F in (7, 8))


def annexb_to_avcc(data: bytes) -> bytes:
    """MP4 stores each NAL unit behind a 4-byte length instead of a start code."""
    return b"".join(len(u).to_bytes(4, "big") + u for u in _nal_units(data))


@dataclass(frozen=True)
class _Copy:
    clip: int
    start: int  # local frame (a keyframe)
    end: int  # local frame, exclusive


@dataclass(frozen=True)
class _Encode:
    frames: tuple[tuple[str, int, int, float], ...]  # (kind, clip, local frame, weight)


def plan_pieces(timeline: Timeline, clips: list[ClipIndex]) -> list[_Copy | _Encode]:
    """The cut as an ordered list of copied ranges and frames to synthesise."""
    shots = timeline.shots
    pieces: list[_Copy | _Encode] = []
    pending: list[tuple[str, int, int, float]] = []
    for shot in shots:
        i = shot.index
        nxt = shots[i + 1] if i + 1 < len(shots) else None
        if shot.overlap:  # the transition into this shot: blend the previous tail with our head
            prev = shots[i - 1]
            for k in range(shot.overlap):
                progress = (k + 1) / (shot.overlap + 1)
                kind = "dip" if shot.transition == "dip_to_black" else "mix"
                pending.append((kind, i, k, progress))
                pending.append(("tail", i - 1, prev.frames - shot.overlap + k, progress))
        head = shot.overlap
        for k in range(shot.fade_in):  # fade up from black into the first shot
            pending.append(("fade", i, k, (k + 1) / (shot.fade_in + 1)))
        head = max(head, shot.fade_in)
        tail = shot.frames - (nxt.overlap if nxt else 0)
        key = next((k for k in clips[i].keyframes if k >= head), None)
        if key is None or key >= tail:  # no keyframe to copy from: synthesise it all
            pending += [("plain", i, k, 1.0) for k in range(head, tail)]
            continue
        pending += [("plain", i, k, 1.0) for k in range(head, key)]
        if pending:
            pieces.append(_Encode(tuple(pending)))
            pending = []
        pieces.append(_Copy(i, key, tail))
    if pending:
        pieces.append(_Encode(tuple(pending)))
    return pieces


class _FrameSource:
    """Decoded yuv420p frames of the clips, as flat planar arrays, fetched in order.

    A request far ahead of the decoder (a clip's tail, for a transition) seeks to the keyframe
    before it instead of decoding everything in between.
    """

    def __init__(self, clips: list[ClipIndex], fps: int) -> None:
        self.clips, self.fps = clips, fps
        self.cache: dict[tuple[int, int], np.ndarray] = {}
        self.iters: dict[int, tuple[Iterator[Any], int]] = {}
        self.boxes: list[Any] = []

    def _open_at(self, clip: int, frame: int) -> tuple[Iterator[Any], int]:
        import av

        key = max((k for k in self.clips[clip].keyframes if k <= frame), default=0)
        box = av.open(str(self.clips[clip].path))
        self.boxes.append(box)
        stream = box.streams.video[0]
        if key and stream.time_base is not None:
            box.seek(round(key / self.fps / stream.time_base), stream=stream, backward=True)
        return box.decode(stream), key

    def get(self, clip: int, frame: int) -> np.ndarray:
        if (clip, frame) in self.cache:
            return self.cache[(clip, frame)]
        state = self.iters.get(clip)
        keys = self.clips[clip].keyframes
        if (
            state is None
            or state[1] > frame
            or any(state[1] < k <= frame for k in keys)  # a keyframe nearer than the decoder
        ):
            state = self._open_at(clip, frame)
        decoder, position = state
        array: np.ndarray | None = None
        while position <= frame:
            decoded = next(decoder)
            if decoded.pts is not None and decoded.time_base is not None:
                position = round(decoded.pts * decoded.time_base * self.fps)  # trust the stamps
            if position == frame:
                array = decoded.to_ndarray(format="yuv420p")
            position += 1
        self.iters[clip] = (decoder, position)
        assert array is not None
        self.cache[(clip, frame)] = array
        if len(self.cache) > 256:
            self.cache.pop(next(iter(self.cache)))
        return array

    def close(self) -> None:
        for box in self.boxes:
            box.close()


def _black_like(frame: np.ndarray) -> np.ndarray:
    black = np.full_like(frame, 128)
    luma_rows = frame.shape[0] * 2 // 3
    black[:luma_rows] = 16
    return black


def _synthesise(
    items: tuple[tuple[str, int, int, float], ...], src: _FrameSource
) -> Iterator[np.ndarray]:
    """Output frames for an encode piece; a 'mix' or 'dip' entry pairs with the 'tail' after it."""
    it = iter(items)
    for kind, clip, frame, weight in it:
        head = src.get(clip, frame)
        if kind == "plain":
            yield head
            continue
        if kind == "fade":
            black = _black_like(head)
            yield _blend(black, head, weight)
            continue
        _, tail_clip, tail_frame, _ = next(it)
        tail = src.get(tail_clip, tail_frame)
        if kind == "mix":
            yield _blend(tail, head, weight)
        elif weight < 0.5:  # dip: the first half fades the outgoing shot down to black
            yield _blend(tail, _black_like(head), 2 * weight)
        else:  # ... and the second half fades the incoming one up
            yield _blend(_black_like(head), head, 2 * weight - 1)


def _blend(a: np.ndarray, b: np.ndarray, weight: float) -> np.ndarray:
    """(1 - weight) * a + weight * b on 8-bit planes, in integer arithmetic (fast, exact ends)."""
    w = round(weight * 256)
    mixed = a.astype(np.uint16) * (256 - w) + b.astype(np.uint16) * w + 128
    return (mixed >> 8).astype(np.uint8)


def smart_join(
    clips: list[Path],
    timeline: Timeline,
    out: Path,
    *,
    width: int,
    height: int,
    encoder: dict[str, Any],
) -> bool:
    """Write the cut's video to `out` and return True, or write nothing and return False."""
    import av

    fps = timeline.fps
    index = [index_clip(c, fps) for c in clips]
    headers = {parameter_sets(i.extradata) for i in index}
    if any(i.reorders for i in index) or len(headers) != 1 or not next(iter(headers)):
        return False
    pieces = plan_pieces(timeline, index)

    def new_encoder() -> Any:
        ctx = av.CodecContext.create("libx264", "w")
        ctx.width, ctx.height, ctx.pix_fmt = width, height, "yuv420p"
        ctx.time_base = Fraction(1, fps)
        ctx.framerate = Fraction(fps)
        ctx.flags |= av.codec.context.Flags.global_header
        apply_settings(ctx, encoder)
        ctx.open()
        return ctx

    probe_ctx = new_encoder()
    if parameter_sets(bytes(probe_ctx.extradata or b"")) not in headers:
        return False
    del probe_ctx
    avcc = index[0].extradata[:1] == b"\x01"

    source = _FrameSource(index, fps)
    with av.open(str(clips[0])) as template_box, av.open(str(out), "w", format="mp4") as box:
        vstream = box.add_stream_from_template(template_box.streams.video[0])

        def mux_video(packet: Any) -> None:
            packet.stream = vstream
            packet.time_base = Fraction(1, fps)
            box.mux(packet)

        position = 0
        for piece in pieces:
            if isinstance(piece, _Copy):
                with av.open(str(clips[piece.clip])) as src:
                    s = src.streams.video[0]
                    for packet in src.demux(s):
                        if not packet.size or packet.pts is None or s.time_base is None:
                            continue
                        local = round(packet.pts * s.time_base * fps)
                        if local < piece.start or local >= piece.end:
                            continue
                        packet.time_base = Fraction(1, fps)
                        packet.pts = packet.dts = position + local - piece.start
                        packet.duration = 1
                        mux_video(packet)
                position += piece.end - piece.start
            else:
                ctx = new_encoder()
                for frame_array in _synthesise(piece.frames, source):
                    frame = av.VideoFrame.from_ndarray(frame_array, format="yuv420p")
                    frame.pts = position
                    frame.time_base = Fraction(1, fps)
                    position += 1
                    for packet in ctx.encode(frame):
                        mux_video(_as_stored(packet, avcc))
                for packet in ctx.encode(None):
                    mux_video(_as_stored(packet, avcc))
    source.close()
    return position == timeline.frames


def _as_stored(packet: Any, avcc: bool) -> Any:
    """The encoder speaks Annex B; an MP4 track with avcC headers needs length prefixes."""
    import av

    if not avcc:
        return packet
    stored = av.Packet(annexb_to_avcc(bytes(packet)))
    stored.pts, stored.dts, stored.duration = packet.pts, packet.dts, packet.duration
    stored.is_keyframe = packet.is_keyframe
    return stored
