"""Reading and writing WAV files with the standard library and numpy.

Only the formats reelforge itself produces or receives from TTS engines are supported: 16-bit
PCM (what piper and espeak-ng write) and 32-bit IEEE float (lossless for intermediate mixes).
Keeping this here avoids a soundfile/libsndfile dependency.
"""

from __future__ import annotations

import struct
import wave
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from reelforge._exceptions import AudioError

FloatArray = npt.NDArray[np.float32]

_PCM = 1
_IEEE_FLOAT = 3
_EXTENSIBLE = 0xFFFE


def write_wav(
    path: Path | str,
    samples: npt.ArrayLike,
    sample_rate: int,
    *,
    fmt: Literal["pcm16", "float32"] = "pcm16",
) -> Path:
    """Write mono (n,) or multichannel (n, channels) float samples in [-1, 1] to a WAV file.

    ``pcm16`` clips and dithers nothing (TTS and mixes are well below full scale after
    normalisation); ``float32`` keeps headroom for intermediate files that are normalised later.
    """
    path = Path(path)
    data = np.asarray(samples, dtype=np.float32)
    if data.ndim == 1:
        data = data[:, None]
    if data.ndim != 2 or data.shape[1] < 1:
        raise AudioError(f"cannot write {path}: expected (n,) or (n, channels), got {data.shape}")
    if not np.all(np.isfinite(data)):
        raise AudioError(f"cannot write {path}: samples contain NaN or infinity")
    path.parent.mkdir(parents=True, exist_ok=True)
    channels = int(data.shape[1])
    if fmt == "pcm16":
        ints = np.round(np.clip(data, -1.0, 1.0) * 32767.0).astype("<i2")
        with wave.open(str(path), "wb") as w:
            w.setnchannels(channels)
            w.setsampwidth(2)
            w.setframerate(int(sample_rate))
            w.writeframes(ints.tobytes())
        return path
    # The wave module only writes PCM, so the float header is built by hand (WAVE_FORMAT_IEEE_FLOAT
    # with a fact chunk, as the spec requires for non-PCM data).
    payload = data.astype("<f4").tobytes()
    block = 4 * channels
    rate = int(sample_rate)
    fmt_chunk = struct.pack(
        "<4sIHHIIHHH", b"fmt ", 18, _IEEE_FLOAT, channels, rate, rate * block, block, 32, 0
    )
    fact_chunk = struct.pack("<4sII", b"fact", 4, data.shape[0])
    data_head = struct.pack("<4sI", b"data", len(payload))
    riff_size = 4 + len(fmt_chunk) + len(fact_chunk) + len(data_head) + len(payload)
    with open(path, "wb") as f:
        f.write(struct.pack("<4sI4s", b"RIFF", riff_size, b"WAVE"))
        f.write(fmt_chunk + fact_chunk + data_head)
        f.write(payload)
    return path


def read_wav(path: Path | str) -> tuple[FloatArray, int]:
    """Read a 16/24/32-bit PCM or 32-bit float WAV as float32 (n, channels) and its sample rate."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise AudioError(f"cannot read {path}: {exc}") from exc
    if len(raw) < 12 or raw[:4] != b"RIFF" or raw[8:12] != b"WAVE":
        raise AudioError(f"{path} is not a WAV file")
    pos = 12
    fmt: tuple[int, int, int, int] | None = None
    while pos + 8 <= len(raw):
        cid, size = struct.unpack_from("<4sI", raw, pos)
        body = raw[pos + 8 : pos + 8 + size]
        if cid == b"fmt ":
            tag, channels, rate = struct.unpack_from("<HHI", body, 0)
            bits = struct.unpack_from("<H", body, 14)[0]
            if tag == _EXTENSIBLE and len(body) >= 26:
                tag = struct.unpack_from("<H", body, 24)[0]  # sub-format GUID starts with the tag
            fmt = (tag, channels, rate, bits)
        elif cid == b"data":
            if fmt is None:
                raise AudioError(f"{path}: data chunk before fmt chunk")
            # Streams written to a pipe carry a bogus size; trust what is actually there.
            tag, channels, rate, bits = fmt
            return _decode(body, tag, channels, bits, path=path), rate
        pos += 8 + size + (size & 1)
    raise AudioError(f"{path}: no audio data found")


def _decode(body: bytes, tag: int, channels: int, bits: int, *, path: Path) -> FloatArray:
    width = bits // 8
    usable = len(body) - len(body) % (width * channels)
    body = body[:usable]
    if tag == _IEEE_FLOAT and bits == 32:
        flat = np.frombuffer(body, dtype="<f4").astype(np.float32)
    elif tag == _PCM and bits == 16:
        flat = np.frombuffer(body, dtype="<i2").astype(np.float32) / 32768.0
    elif tag == _PCM and bits == 32:
        flat = (np.frombuffer(body, dtype="<i4").astype(np.float64) / 2147483648.0).astype(
            np.float32
        )
    elif tag == _PCM and bits == 24:
        b = np.frombuffer(body, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        ints = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
        flat = (ints / float(1 << 23)).astype(np.float32)
    else:
        raise AudioError(f"{path}: unsupported WAV encoding (format {tag}, {bits}-bit)")
    return flat.reshape(-1, channels)
