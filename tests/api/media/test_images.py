import io
from datetime import UTC, datetime

import pytest
from PIL import Image

from api.media import errors, images
from tests.support import exif_bytes, jpeg, png, png_bomb

LIMITS = {"max_bytes": 10 * 1024 * 1024, "max_pixels": 40_000_000}


def decoded(data: bytes):
    with Image.open(io.BytesIO(data)) as img:
        return img.convert("RGB").tobytes(), img.size, dict(img.getexif())


def test_jpeg_metadata_is_stripped_without_touching_pixels():
    raw = jpeg(exif=exif_bytes(when="2026:11:20 09:30:00", gps=(23.1651, 113.2575)))
    photo = images.process_upload(raw, **LIMITS)
    pixels_before, _, exif_before = decoded(raw)
    pixels_after, size, exif_after = decoded(photo.data)
    assert exif_before and not exif_after
    assert pixels_after == pixels_before  # lossless: the entropy-coded data was copied verbatim
    assert b"TestCam" not in photo.data and size == (640, 480)


def test_capture_time_and_gps_are_kept_as_fields():
    raw = jpeg(exif=exif_bytes(when="2026:11:20 09:30:00", gps=(23.1651, 113.2575)))
    photo = images.process_upload(raw, **LIMITS)
    assert photo.captured_at == datetime(2026, 11, 20, 1, 30, tzinfo=UTC)  # read as Asia/Shanghai
    assert photo.gps == pytest.approx((23.1651, 113.2575), abs=1e-4)


def test_capture_time_with_an_offset_uses_it():
    raw = jpeg(exif=exif_bytes(when="2026:11:20 09:30:00", offset="+00:00"))
    assert images.process_upload(raw, **LIMITS).captured_at == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def test_rotated_photo_is_auto_oriented_and_stripped():
    raw = jpeg(width=400, height=200, exif=exif_bytes(orientation=6))
    photo = images.process_upload(raw, **LIMITS)
    _, size, exif = decoded(photo.data)
    assert size == (200, 400) and (photo.width, photo.height) == (200, 400)
    assert not exif


def test_png_text_chunks_are_dropped_losslessly():
    raw = png(text={"Author": "someone", "Comment": "secret"})
    photo = images.process_upload(raw, **LIMITS)
    assert b"secret" not in photo.data and b"tEXt" not in photo.data
    assert decoded(photo.data)[0] == decoded(raw)[0]


def test_webp_exif_is_dropped():
    img = Image.new("RGB", (64, 64), (200, 100, 50))
    out = io.BytesIO()
    img.save(out, "WEBP", exif=exif_bytes(when="2026:01:01 00:00:00"), lossless=True)
    photo = images.process_upload(out.getvalue(), **LIMITS)
    assert b"EXIF" not in photo.data and b"TestCam" not in photo.data
    assert decoded(photo.data)[0] == decoded(out.getvalue())[0]
    assert photo.content_type == "image/webp"


@pytest.mark.parametrize("raw, error", [
    (b"%PDF-1.4 definitely not an image", errors.NotAnImage),
    (b"", errors.NotAnImage),
    (png_bomb(), errors.PhotoTooManyPixels),
])
def test_bad_files_are_refused_by_content(raw, error):
    with pytest.raises(error):
        images.process_upload(raw, **LIMITS)


def test_truncated_jpeg_is_refused():
    raw = jpeg(1280, 960)
    with pytest.raises(errors.PhotoCorrupt):
        images.process_upload(raw[: len(raw) // 2], **LIMITS)


def test_gif_is_refused():
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")
    with pytest.raises(errors.PhotoFormatUnsupported):
        images.process_upload(out.getvalue(), **LIMITS)


def test_size_limit_is_checked_before_decoding():
    with pytest.raises(errors.PhotoTooLarge):
        images.process_upload(b"\xff\xd8" + b"\0" * 100, max_bytes=50, max_pixels=10)


def test_derivatives_fit_their_boxes():
    display, thumb = images.make_derivatives(jpeg(4000, 3000, pattern=False), (1280, 320))
    for data, side in ((display, 1280), (thumb, 320)):
        with Image.open(io.BytesIO(data)) as img:
            assert max(img.size) == side and img.format == "JPEG"
    small, big = images.make_derivatives(jpeg(2000, 1000, pattern=False), (320, 1280))
    assert Image.open(io.BytesIO(small)).size == (320, 160) and Image.open(io.BytesIO(big)).size == (1280, 640)


@pytest.mark.parametrize(("size", "box", "fitted"), [
    ((1920, 1080), images.PREVIEW_BOX, (750, 421)),   # landscape: the width binds, not the box's height
    ((1080, 1920), images.PREVIEW_BOX, (750, 1333)),
    ((600, 400), images.PREVIEW_BOX, (600, 400)),     # never enlarged
    ((4000, 3000), (1280, 1280), (1280, 960)),
])
def test_fitted_is_the_size_inside_the_box(size, box, fitted):
    assert images._fitted(size, box) == fitted


def test_check_preview_decodes_a_landscape_photo_at_reduced_scale(monkeypatch):
    """draft() is asked for the fitted size (750 × 421), so a 1080p JPEG decodes at ½ scale; asked for the box
    itself (750 × 1334, taller than the photo) it decoded every pixel, three times the work."""
    photo = jpeg(1920, 1080, pattern=False)
    loaded = []
    real_load = Image.Image.load

    def load(self):
        result = real_load(self)
        loaded.append(self.size)
        return result

    monkeypatch.setattr(Image.Image, "load", load)
    preview = images.check_preview(photo)
    assert loaded and loaded[0] == (960, 540) and (1920, 1080) not in loaded
    with Image.open(io.BytesIO(preview)) as img:
        assert img.width == 750 and abs(img.height - 421) <= 1  # thumbnail() rounds the other side
