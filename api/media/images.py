"""Pure photo processing with Pillow: validate by content, read EXIF facts, auto-orient, strip metadata.

Metadata is stripped losslessly where the pixels need no change (strip.py keeps an allow-list of JPEG
segments, PNG chunks and WebP RIFF chunks and drops the rest, trailing bytes included); a photo that must be
rotated is re-encoded once. What is stored is what was decoded: every stored original decodes.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from struct import error as struct_error

from PIL import Image, ImageOps, UnidentifiedImageError

from api.media import errors
from api.media.strip import STRIPPERS
from api.timefmt import SHANGHAI

# MPO: the multi-picture JPEG many phones write; its first picture is kept, as a JPEG.
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "MPO": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"),
           "WEBP": ("image/webp", "webp")}
# EXIF capture times outside these years are a wrong clock or a probe: the photo is kept, the time ignored.
PLAUSIBLE_YEARS = range(1990, 2200)
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
    header = _open_header(raw, max_pixels)
    content_type, extension = FORMATS[header.format]
    captured_at, gps, orientation = _exif_facts(header)
    data = STRIPPERS[header.format](raw)  # structure checked and metadata dropped before anything is decoded
    if orientation not in (1, None):  # re-encoded from the full decode: what is stored is Pillow's own output
        with Image.open(io.BytesIO(raw)) as full:
            data, img = _reencode_oriented(_decode(full, reduced=False))
        width, height = img.size
    else:
        stored = _open_header(data, max_pixels)
        width, height = stored.size
        img = _decode(stored, PREVIEW_BOX if preview else None)  # what will be stored decodes, every byte of it
    return ProcessedPhoto(data=data, content_type=content_type, extension=extension, width=width, height=height,
                          captured_at=captured_at, gps=gps, preview=_preview(img) if preview else b"")


def make_derivatives(data: bytes, sides: tuple[int, ...], quality: int = 82) -> list[bytes]:
    """JPEGs no larger than each side on their longest edge, in the order asked, from one decode.

    A JPEG is decoded at the smallest DCT scale (1/2, 1/4, 1/8) that still covers the largest side; each copy is
    shrunk from the one before (an integer box reduction first, `reducing_gap`, then BILINEAR, which Pillow
    widens to the scale so it still antialiases) and written as a baseline JPEG: a fraction of LANCZOS plus an
    optimised progressive encode, for copies nobody can tell apart on a phone or a desk screen."""
    with Image.open(io.BytesIO(data)) as img:
        largest = max(sides)
        img.draft("RGB", _fitted(img.size, (largest, largest)))
        current = img.convert("RGB")
    by_side = {}
    for side in sorted(set(sides), reverse=True):  # shrink step by step from the largest
        current.thumbnail((side, side), Image.Resampling.BILINEAR, reducing_gap=2.0)
        out = io.BytesIO()
        current.save(out, "JPEG", quality=quality)
        by_side[side] = out.getvalue()
    return [by_side[side] for side in sides]


def _fitted(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """`size` shrunk (never enlarged) to fit `box`, proportions kept: what draft() is asked for, since it picks
    the coarsest DCT scale whose result still covers the size asked in both directions."""
    scale = min(1.0, box[0] / size[0], box[1] / size[1])
    return max(1, int(size[0] * scale)), max(1, int(size[1] * scale))


def check_preview(data: bytes) -> bytes:
    """imgSecCheck's copy (≤ PREVIEW_BOX) of a stored photo, from a reduced-scale decode (JPEG DCT scaling)."""
    with Image.open(io.BytesIO(data)) as img:
        img.draft("RGB", _fitted(img.size, PREVIEW_BOX))
        return _preview(img)


def _preview(img: Image.Image) -> bytes:
    small = img.convert("RGB")
    small.thumbnail(PREVIEW_BOX, Image.Resampling.BILINEAR)  # for a content check, speed over finesse
    out = io.BytesIO()
    small.save(out, "JPEG", quality=80)
    return out.getvalue()


def _open_header(raw: bytes, max_pixels: int) -> Image.Image:
    """Open (headers only) and check the format and the pixel count."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(raw))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise errors.PhotoTooManyPixels() from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, struct_error) as exc:
            raise errors.NotAnImage() from exc
    if img.format not in FORMATS:
        raise errors.PhotoFormatUnsupported(details={"format": img.format})
    if img.width * img.height > max_pixels:
        raise errors.PhotoTooManyPixels(details={"width": img.width, "height": img.height, "max_pixels": max_pixels})
    return img


def _decode(img: Image.Image, box: tuple[int, int] | None = None, *, reduced: bool = True) -> Image.Image:
    """Decode the whole stream. A JPEG is decoded at a reduced DCT scale — the one that still covers `box`, or
    the smallest (1/8) when only its soundness is in question: every coefficient is still entropy-decoded, so a
    truncated or corrupt stream fails as in a full decode, for a fraction of the cost."""
    if reduced and img.format in ("JPEG", "MPO"):
        img.draft("RGB", _fitted(img.size, box) if box else (max(1, img.width // 8), max(1, img.height // 8)))
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img.load()
        except (OSError, SyntaxError, ValueError, struct_error, EOFError, Image.DecompressionBombError,
                Image.DecompressionBombWarning) as exc:
            raise errors.PhotoCorrupt() from exc
    return img


def _reencode_oriented(img: Image.Image) -> tuple[bytes, Image.Image]:
    fmt = "JPEG" if img.format == "MPO" else img.format
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


def _exif_facts(img: Image.Image) -> tuple[datetime | None, tuple[float, float] | None, int]:
    """Capture time, GPS and orientation; a malformed EXIF block gives none of them (the photo is kept)."""
    try:
        exif = img.getexif()
        orientation = exif.get(EXIF_ORIENTATION, 1)
        return _capture_time(exif), _gps(exif), orientation if orientation in range(1, 9) else 1
    except Exception:  # noqa: BLE001 - Pillow raises many kinds on broken EXIF; it is only metadata
        return None, None, 1


def _capture_time(exif: Image.Exif) -> datetime | None:
    ifd = exif.get_ifd(EXIF_IFD)
    raw = ifd.get(DATETIME_ORIGINAL) or exif.get(0x0132)
    if not raw:
        return None
    try:
        local = datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except (ValueError, TypeError):
        return None
    if local.year not in PLAUSIBLE_YEARS:
        return None
    offset = ifd.get(OFFSET_TIME_ORIGINAL)
    try:
        if offset:
            try:
                return datetime.strptime(f"{local:%Y-%m-%d %H:%M:%S}{offset}",
                                         "%Y-%m-%d %H:%M:%S%z").astimezone(UTC)
            except ValueError:
                pass
        # Phones in Guangzhou record local time without a zone: read it as Asia/Shanghai.
        return local.replace(tzinfo=SHANGHAI).astimezone(UTC)
    except OverflowError:
        return None


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
