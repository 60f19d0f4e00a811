"""Pure photo processing with Pillow: validate by content, read EXIF facts, auto-orient, strip metadata.

Metadata is stripped losslessly where the pixels need no change (JPEG segments, PNG chunks and WebP
RIFF chunks are dropped from the byte stream); a photo that must be rotated is re-encoded once.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from PIL import Image, ImageOps, UnidentifiedImageError

from api.media import errors

FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
SHANGHAI = ZoneInfo("Asia/Shanghai")
EXIF_ORIENTATION = 0x0112
EXIF_IFD = 0x8769
GPS_IFD = 0x8825
DATETIME_ORIGINAL = 0x9003
OFFSET_TIME_ORIGINAL = 0x9011


@dataclass(frozen=True)
class ProcessedPhoto:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int
    captured_at: datetime | None
    gps: tuple[float, float] | None  # (lat, lon) as recorded by the camera (WGS-84)
    preview: bytes  # a small JPEG (≤ PREVIEW_BOX) for the content-security check


# WeChat's imgSecCheck takes at most 750 × 1334.
PREVIEW_BOX = (750, 1334)


def process_upload(raw: bytes, *, max_bytes: int, max_pixels: int, preview: bool = True) -> ProcessedPhoto:
    """Validate by content, read EXIF facts, strip metadata, and make the check preview in one decode.

    `preview=False` (photos from the office's own signed devices, which need no content-security check) skips
    the preview: about a third of the work for a camera snapshot."""
    if len(raw) > max_bytes:
        raise errors.PhotoTooLarge(details={"max_bytes": max_bytes, "size": len(raw)})
    img, size = _open_checked(raw, max_pixels)
    content_type, extension = FORMATS[img.format]
    exif = img.getexif()
    captured_at, gps = _capture_time(exif), _gps(exif)
    orientation = exif.get(EXIF_ORIENTATION, 1)
    if orientation not in (1, None):
        with Image.open(io.BytesIO(raw)) as full:
            data, oriented = _reencode_oriented(full)
        size = oriented.size
    else:
        data = STRIPPERS[img.format](raw)
    return ProcessedPhoto(data=data, content_type=content_type, extension=extension, width=size[0],
                          height=size[1], captured_at=captured_at, gps=gps, preview=_preview(img) if preview else b"")


def make_derivatives(data: bytes, sides: tuple[int, ...], quality: int = 82) -> list[bytes]:
    """JPEGs no larger than each side on their longest edge, in the order asked, from one decode."""
    with Image.open(io.BytesIO(data)) as img:
        img.draft("RGB", (max(sides), max(sides)))
        current = img.convert("RGB")
    by_side = {}
    for side in sorted(set(sides), reverse=True):  # shrink step by step from the largest
        current.thumbnail((side, side), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        current.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
        by_side[side] = out.getvalue()
    return [by_side[side] for side in sides]


def _preview(img: Image.Image) -> bytes:
    small = img.convert("RGB")
    small.thumbnail(PREVIEW_BOX, Image.Resampling.BILINEAR)  # for a content check, speed over finesse
    out = io.BytesIO()
    small.save(out, "JPEG", quality=80)
    return out.getvalue()


def _open_checked(raw: bytes, max_pixels: int) -> tuple[Image.Image, tuple[int, int]]:
    """Open and fully decode (JPEGs at reduced scale: every byte is still read, so truncation shows)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(raw))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise errors.PhotoTooManyPixels() from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise errors.NotAnImage() from exc
        if img.format not in FORMATS:
            raise errors.PhotoFormatUnsupported(details={"format": img.format})
        if img.width * img.height > max_pixels:
            raise errors.PhotoTooManyPixels(details={"width": img.width, "height": img.height,
                                                     "max_pixels": max_pixels})
        size = img.size
        if img.format == "JPEG":
            scale = min(1.0, PREVIEW_BOX[0] / size[0], PREVIEW_BOX[1] / size[1])
            # DCT scaling to the preview's size: a fraction of the cost of a full-size decode
            img.draft("RGB", (max(1, int(size[0] * scale)), max(1, int(size[1] * scale))))
        try:
            img.load()  # decode the whole stream: catches truncated and corrupt files before anything is stored
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
            raise errors.PhotoCorrupt() from exc
    return img, size


def _reencode_oriented(img: Image.Image) -> tuple[bytes, Image.Image]:
    fmt = img.format
    icc = img.info.get("icc_profile")
    rotated = ImageOps.exif_transpose(img)
    out = io.BytesIO()
    if fmt == "JPEG":
        rotated.convert("RGB").save(out, "JPEG", quality=92, icc_profile=icc)
    elif fmt == "PNG":
        rotated.save(out, "PNG", icc_profile=icc)
    else:
        rotated.save(out, "WEBP", quality=90, icc_profile=icc)
    return out.getvalue(), rotated


def _capture_time(exif: Image.Exif) -> datetime | None:
    ifd = exif.get_ifd(EXIF_IFD)
    raw = ifd.get(DATETIME_ORIGINAL) or exif.get(0x0132)
    if not raw:
        return None
    try:
        local = datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = ifd.get(OFFSET_TIME_ORIGINAL)
    if offset:
        try:
            return datetime.strptime(f"{local:%Y-%m-%d %H:%M:%S}{offset}", "%Y-%m-%d %H:%M:%S%z").astimezone(UTC)
        except ValueError:
            pass
    # Phones in Guangzhou record local time without a zone: read it as Asia/Shanghai.
    return local.replace(tzinfo=SHANGHAI).astimezone(UTC)


def _gps(exif: Image.Exif) -> tuple[float, float] | None:
    gps = exif.get_ifd(GPS_IFD)
    try:
        lat = _dms(gps[2]) * (-1 if gps.get(1) in ("S", b"S") else 1)
        lon = _dms(gps[4]) * (-1 if gps.get(3) in ("W", b"W") else 1)
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return round(lat, 7), round(lon, 7)


def _dms(values) -> float:
    d, m, s = (float(v) for v in values)
    return d + m / 60 + s / 3600


# -- lossless metadata stripping ------------------------------------------------------------------------

# JPEG APPn segments kept: APP0 (JFIF), APP2 (ICC profile), APP14 (Adobe colour transform).
_JPEG_KEEP_APP = {0xE0, 0xE2, 0xEE}


def strip_jpeg(data: bytes) -> bytes:
    if data[:2] != b"\xff\xd8":
        raise errors.PhotoCorrupt()
    out, pos = bytearray(b"\xff\xd8"), 2
    while pos < len(data):
        if data[pos] != 0xFF:
            raise errors.PhotoCorrupt()
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xDA or marker == 0xD9:  # start of scan / end: copy the rest verbatim
            out += data[pos:]
            return bytes(out)
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        segment = data[pos:pos + 2 + length]
        is_app = 0xE0 <= marker <= 0xEF
        if not ((is_app and marker not in _JPEG_KEEP_APP) or marker == 0xFE):  # drop other APPn and COM
            out += segment
        pos += 2 + length
    return bytes(out)


_PNG_DROP = {b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"}


def strip_png(data: bytes) -> bytes:
    out, pos = bytearray(data[:8]), 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        chunk = data[pos:pos + 12 + length]
        if kind not in _PNG_DROP:
            out += chunk
        pos += 12 + length
        if kind == b"IEND":
            break
    return bytes(out)


def strip_webp(data: bytes) -> bytes:
    chunks, pos = [], 12
    while pos + 8 <= len(data):
        kind = data[pos:pos + 4]
        (size,) = struct.unpack("<I", data[pos + 4:pos + 8])
        padded = size + (size & 1)
        body = data[pos + 8:pos + 8 + padded]
        if kind == b"VP8X":
            body = bytes([body[0] & ~0x0C]) + body[1:]  # clear the EXIF and XMP flags
        if kind not in (b"EXIF", b"XMP "):
            chunks.append(kind + struct.pack("<I", size) + body)
        pos += 8 + padded
    payload = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(payload)) + payload


STRIPPERS = {"JPEG": strip_jpeg, "PNG": strip_png, "WEBP": strip_webp}
