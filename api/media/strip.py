"""Lossless metadata stripping by allow-list: what the stored original keeps is named here, nothing else.

Each stripper parses its container strictly and copies only the structures the picture needs (image data,
colour profile); everything else is dropped — EXIF, XMP, comments, JFXX and JFIF thumbnails, MPF and other
APP2 data, text chunks — and so is anything after the image's end (a second JPEG, HTML, a ZIP). A malformed
structure is refused (PhotoCorrupt) rather than copied. The entropy-coded image data is copied verbatim, so the
pixels are untouched. Multi-picture JPEGs (MPO) keep their first picture.
"""

from __future__ import annotations

import re
import struct
import zlib

from api.media import errors

# -- JPEG ---------------------------------------------------------------------------------------------------
SOI, EOI, SOS = 0xD8, 0xD9, 0xDA
_RST = range(0xD0, 0xD8)
# Marker segments the decoder needs: DQT, DHT, DAC, DRI, DNL, the SOFn frames (not DHT C4, JPG C8, DAC CC).
_JPEG_KEEP = {0xDB, 0xC4, 0xCC, 0xDD, 0xDC} | (set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC})
_ICC = b"ICC_PROFILE\0"
_ADOBE = b"Adobe"


def strip_jpeg(data: bytes) -> bytes:
    if data[:2] != b"\xff\xd8":
        raise errors.PhotoCorrupt()
    out, pos, end = bytearray(b"\xff\xd8"), 2, len(data)
    while True:
        pos = _next_marker(data, pos)
        marker = data[pos + 1]
        if marker == EOI:
            return bytes(out + b"\xff\xd9")  # anything after the first picture's end is not kept
        if marker == SOI or marker in _RST or pos + 4 > end:
            raise errors.PhotoCorrupt()
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        if length < 2 or pos + 2 + length > end:
            raise errors.PhotoCorrupt()
        segment = data[pos:pos + 2 + length]
        body = segment[4:]
        if marker in _JPEG_KEEP or marker == SOS:
            out += segment
        elif marker == 0xE0 and body.startswith(b"JFIF\0") and len(body) >= 14:
            out += _jfif_without_thumbnail(body)
        elif (marker == 0xE2 and body.startswith(_ICC)) or (marker == 0xEE and body.startswith(_ADOBE)):
            out += segment
        pos += 2 + length
        if marker == SOS:  # entropy-coded data follows, up to the next marker that is not a restart
            scan_end = _scan_end(data, pos)
            out += data[pos:scan_end]
            pos = scan_end


def _next_marker(data: bytes, pos: int) -> int:
    if pos + 1 >= len(data) or data[pos] != 0xFF:
        raise errors.PhotoCorrupt()
    while data[pos + 1] == 0xFF:  # fill bytes
        pos += 1
        if pos + 1 >= len(data):
            raise errors.PhotoCorrupt()
    return pos


# In entropy-coded data 0xFF is followed by 0x00 (a stuffed byte), a restart marker, or more 0xFF (fill): the scan
# ends at the first 0xFF followed by anything else. One search in C: a noisy 1080p photo has thousands of 0xFF00.
_SCAN_END = re.compile(rb"\xff(?=[^\x00\xd0-\xd7\xff])")


def _scan_end(data: bytes, pos: int) -> int:
    found = _SCAN_END.search(data, pos)
    if found is None:
        raise errors.PhotoCorrupt()  # a scan without an end: truncated
    return found.start()


def _jfif_without_thumbnail(body: bytes) -> bytes:
    """APP0 JFIF keeps its version and pixel density; an embedded thumbnail is dropped."""
    header = body[:12] + b"\0\0"  # identifier, version, units, densities; thumbnail 0 × 0
    return b"\xff\xe0" + struct.pack(">H", len(header) + 2) + header


# -- PNG ----------------------------------------------------------------------------------------------------
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Critical chunks plus those that change how the pixels look; never text, time, EXIF or private chunks.
_PNG_KEEP = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT", b"pHYs",
             b"bKGD"}


def strip_png(data: bytes) -> bytes:
    if not data.startswith(PNG_SIGNATURE):
        raise errors.PhotoCorrupt()
    out, pos = bytearray(PNG_SIGNATURE), len(PNG_SIGNATURE)
    while True:
        if pos + 12 > len(data):
            raise errors.PhotoCorrupt()  # no IEND: truncated
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos:pos + 12 + length]
        if len(chunk) != 12 + length or zlib.crc32(chunk[4:8 + length]) != struct.unpack(">I", chunk[-4:])[0]:
            raise errors.PhotoCorrupt()
        if kind in _PNG_KEEP:
            out += chunk
        pos += 12 + length
        if kind == b"IEND":
            return bytes(out)


# -- WebP ---------------------------------------------------------------------------------------------------
_WEBP_KEEP = {b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ICCP"}
_ANIMATION = {b"ANIM", b"ANMF"}
VP8X_ICC, VP8X_EXIF, VP8X_XMP = 0x20, 0x08, 0x04


def strip_webp(data: bytes) -> bytes:
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise errors.PhotoCorrupt()
    (riff_size,) = struct.unpack("<I", data[4:8])
    end = 8 + riff_size
    if end > len(data) or riff_size < 4:
        raise errors.PhotoCorrupt()
    chunks, kinds, pos = [], set(), 12
    while pos < end:
        if pos + 8 > end:
            raise errors.PhotoCorrupt()
        kind = data[pos:pos + 4]
        (size,) = struct.unpack("<I", data[pos + 4:pos + 8])
        padded = size + (size & 1)
        if pos + 8 + size > end:
            raise errors.PhotoCorrupt()
        if kind in _ANIMATION:
            raise errors.PhotoFormatUnsupported(details={"format": "animated WebP"})
        if kind in _WEBP_KEEP:
            chunks.append([kind, data[pos + 8:pos + 8 + size]])
            kinds.add(kind)
        pos += 8 + padded
    if not kinds & {b"VP8 ", b"VP8L"}:
        raise errors.PhotoCorrupt()
    for chunk in chunks:
        if chunk[0] == b"VP8X" and chunk[1]:
            flags = chunk[1][0] & ~(VP8X_EXIF | VP8X_XMP | VP8X_ICC)
            chunk[1] = bytes([flags | (VP8X_ICC if b"ICCP" in kinds else 0)]) + chunk[1][1:]
    payload = b"WEBP" + b"".join(kind + struct.pack("<I", len(body)) + body + b"\0" * (len(body) & 1)
                                 for kind, body in chunks)
    return b"RIFF" + struct.pack("<I", len(payload)) + payload


STRIPPERS = {"JPEG": strip_jpeg, "MPO": strip_jpeg, "PNG": strip_png, "WEBP": strip_webp}
