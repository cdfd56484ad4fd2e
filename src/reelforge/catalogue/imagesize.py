"""Read an image's pixel size from its header (PNG, JPEG) without decoding or extra packages.

Some models (Sora) reject an input image whose size differs from the output; knowing the size lets
us refuse before spending instead of after a billed 400.
"""

from __future__ import annotations

import struct
from pathlib import Path

_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if marker in _SOF:
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    return None


def image_size(path: Path) -> tuple[int, int] | None:
    """(width, height) of a PNG or JPEG file, or None when unreadable or another format."""
    try:
        data = path.read_bytes()[: 1 << 20]
    except OSError:
        return None
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data[:2] == b"\xff\xd8":
        return _jpeg_size(data)
    return None
