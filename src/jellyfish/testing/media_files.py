"""Media files for the emulator's file component: how long they play, and small test files.

The emulator plays a file component for the file's real duration, computed from the file:

* H.264 Annex B (``.h264``): access units ÷ framerate. An access unit is counted at each
  access-unit delimiter (NAL type 9) when the stream has them, else at each coded slice (NAL
  type 1 or 5) whose ``first_mb_in_slice`` is 0, i.e. the first slice of a picture.
* Ogg Opus (``.ogg``): the granule position of the last Ogg page ÷ 48 000.

A file that cannot be parsed (no access unit, no Ogg page with a positive granule position)
has nothing to play: like a real pipeline that finds no frame, its component publishes its
track, stays listed while the pipeline runs to its end (0.1 s on the node's clock), then
removes itself. :func:`write_h264` and :func:`write_ogg_opus` write small files of a chosen
duration that the emulator parses (they are structurally valid but carry no decodable picture
or sound, so a real Jellyfish needs real files).
"""

from __future__ import annotations

import os
import struct

__all__ = ["h264_duration", "ogg_opus_duration", "write_h264", "write_ogg_opus"]

OPUS_GRANULE_RATE = 48_000
_START_CODE = b"\x00\x00\x01"
_NAL_AUD = 9
_NAL_SLICE = 1
_NAL_IDR = 5


def h264_access_units(data: bytes) -> int:
    """The number of access units (pictures) in an H.264 Annex B byte stream."""
    delimiters = 0
    first_slices = 0
    position = data.find(_START_CODE)
    while position != -1:
        header = position + 3
        if header >= len(data):
            break
        nal_type = data[header] & 0x1F
        if nal_type == _NAL_AUD:
            delimiters += 1
        elif (
            nal_type in (_NAL_SLICE, _NAL_IDR)
            and header + 1 < len(data)
            and data[header + 1] & 0x80  # first_mb_in_slice is ue(v): first bit 1 means 0
        ):
            first_slices += 1
        position = data.find(_START_CODE, header)
    return delimiters or first_slices


def h264_duration(data: bytes, framerate: int) -> float:
    """Seconds an H.264 Annex B stream plays at ``framerate`` (0.0 if it has no picture)."""
    if framerate <= 0:
        raise ValueError("framerate must be positive")
    return h264_access_units(data) / framerate


def ogg_opus_duration(data: bytes) -> float:
    """Seconds an Ogg Opus file plays: its last page's granule position ÷ 48 000 (0.0 if none)."""
    position = data.rfind(b"OggS")
    while position != -1:
        if position + 14 <= len(data) and data[position + 4] == 0:
            granule: int = struct.unpack_from("<q", data, position + 6)[0]
            if granule > 0:
                return granule / OPUS_GRANULE_RATE
        position = data.rfind(b"OggS", 0, position)
    return 0.0


def file_duration(path: str, framerate: int | None) -> float:
    """How long the emulator's file component plays ``path`` (see the module docstring)."""
    with open(path, "rb") as handle:
        data = handle.read()
    if path.endswith(".h264"):
        return h264_duration(data, framerate or 30)
    return ogg_opus_duration(data)


# --- writing test files ------------------------------------------------------------------


def write_h264(path: str | os.PathLike[str], seconds: float, framerate: int = 30) -> None:
    """Write an H.264 Annex B file of ``round(seconds * framerate)`` access units.

    SPS, PPS, then one IDR picture and P pictures; the emulator plays it for ``seconds``.
    """
    frames = round(seconds * framerate)
    if frames < 0:
        raise ValueError("seconds must be >= 0")
    sps = b"\x00\x00\x00\x01\x67\x42\xc0\x1f\x8c\x8d\x40\x50\x1e\xd0\x0f\x08\x84\x6a"
    pps = b"\x00\x00\x00\x01\x68\xce\x3c\x80"
    pictures = [
        b"\x00\x00\x00\x01" + (b"\x65" if index == 0 else b"\x41") + b"\x88\x84\x00\x33\xff"
        for index in range(frames)
    ]
    with open(path, "wb") as handle:
        handle.write(sps + pps + b"".join(pictures))


def _ogg_crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


def _ogg_page(payload: bytes, granule: int, sequence: int, flags: int) -> bytes:
    segments = [255] * (len(payload) // 255) + [len(payload) % 255]
    header = struct.pack(
        "<4sBBqIIIB", b"OggS", 0, flags, granule, 0x4A454C4C, sequence, 0, len(segments)
    )
    page = header + bytes(segments) + payload
    return page[:22] + struct.pack("<I", _ogg_crc(page)) + page[26:]


def write_ogg_opus(path: str | os.PathLike[str], seconds: float) -> None:
    """Write an Ogg Opus file whose last granule position is ``seconds * 48 000``.

    The pages (``OpusHead``, ``OpusTags``, one audio page) are well-formed Ogg with correct
    checksums; the audio page holds a single silent Opus frame.
    """
    granule = round(seconds * OPUS_GRANULE_RATE)
    if granule < 0:
        raise ValueError("seconds must be >= 0")
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, 0, 48_000, 0, 0)
    tags = b"OpusTags" + struct.pack("<I", 4) + b"test" + struct.pack("<I", 0)
    pages = [
        _ogg_page(head, 0, 0, 0x02),
        _ogg_page(tags, 0, 1, 0x00),
        _ogg_page(b"\xf8\xff\xfe", granule, 2, 0x04),
    ]
    with open(path, "wb") as handle:
        handle.write(b"".join(pages))
