"""Stored photos carry nothing but the image: allow-list stripping, trailing data, malformed structures, MPO."""

import io
import struct
import zlib

import pytest
from PIL import Image

from api.media import errors, images
from tests.support import exif_bytes, jpeg, png

LIMITS = {"max_bytes": 10 * 1024 * 1024, "max_pixels": 40_000_000}
SECRET_EXIF = exif_bytes(when="2026:11:20 09:30:00", gps=(23.1651, 113.2575))


def pixels(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as img:
        return img.convert("RGB").tobytes()


def stored(raw: bytes) -> bytes:
    data = images.process_upload(raw, **LIMITS).data
    with Image.open(io.BytesIO(data)) as img:
        img.load()  # every stored original decodes
    return data


def segment(marker: int, body: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


def insert_after_soi(data: bytes, extra: bytes) -> bytes:
    return data[:2] + extra + data[2:]


def webp(**kwargs) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (48, 32), (200, 100, 50)).save(out, "WEBP", lossless=True, **kwargs)
    return out.getvalue()


@pytest.mark.parametrize("trailer", [
    jpeg(64, 48, exif=SECRET_EXIF),  # a second JPEG appended, with its own GPS and camera make
    b"<html><script>alert(1)</script></html>",
    b"PK\x03\x04" + b"\0" * 26 + b"secret.txt",
])
def test_jpeg_trailing_data_is_not_kept(trailer):
    raw = jpeg(320, 240) + trailer
    data = stored(raw)
    assert data.endswith(b"\xff\xd9") and trailer not in data
    assert b"TestCam" not in data and b"html" not in data and b"PK\x03\x04" not in data
    assert pixels(data) == pixels(jpeg(320, 240))


def test_jpeg_keeps_only_allowed_segments():
    extra = (segment(0xE2, b"MPF\0" + b"\0" * 16)  # APP2 that is not an ICC profile
             + segment(0xE0, b"JFXX\0\x10" + b"\xff" * 30)  # a JFXX thumbnail
             + segment(0xEB, b"private vendor data")
             + segment(0xFE, b"a comment"))
    raw = insert_after_soi(jpeg(320, 240, exif=SECRET_EXIF), extra)
    data = stored(raw)
    for forbidden in (b"MPF\0", b"JFXX", b"private vendor", b"a comment", b"TestCam", b"Exif"):
        assert forbidden not in data
    assert pixels(data) == pixels(raw)


def test_jpeg_icc_profile_and_jfif_are_kept():
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 200, 30)).save(out, "JPEG", icc_profile=icc)
    data = stored(out.getvalue())
    assert Image.open(io.BytesIO(data)).info.get("icc_profile") == icc
    assert b"JFIF\0" in data


def test_jfif_thumbnail_is_dropped_but_density_kept():
    raw = jpeg(64, 64)
    assert raw[6:11] == b"JFIF\0"
    (length,) = struct.unpack(">H", raw[4:6])
    jfif = raw[6:4 + length]
    with_thumb = jfif[:12] + b"\x02\x02" + b"\x7f" * 12  # a 2 × 2 RGB thumbnail
    raw = raw[:2] + segment(0xE0, with_thumb) + raw[4 + length:]
    data = stored(raw)
    assert b"\x7f" * 12 not in data and data[6:18] == jfif[:12]


def test_mpo_is_accepted_as_its_first_picture():
    first, second = Image.new("RGB", (96, 64), (0, 0, 255)), Image.new("RGB", (96, 64), (255, 0, 0))
    out = io.BytesIO()
    first.save(out, "MPO", save_all=True, append_images=[second], exif=SECRET_EXIF)
    photo = images.process_upload(out.getvalue(), **LIMITS)
    assert photo.content_type == "image/jpeg" and (photo.width, photo.height) == (96, 64)
    with Image.open(io.BytesIO(photo.data)) as img:
        assert img.format == "JPEG" and getattr(img, "n_frames", 1) == 1
        assert img.convert("RGB").getpixel((10, 10))[2] > 200  # the first (blue) picture
    assert b"TestCam" not in photo.data and b"MPF" not in photo.data


def test_png_keeps_only_allowed_chunks_and_nothing_after_iend():
    raw = png(text={"Comment": "secret"})
    private = struct.pack(">I", 4) + b"prVt" + b"data" + struct.pack(">I", zlib.crc32(b"prVtdata"))
    raw = raw[:33] + private + raw[33:] + b"<html>trailer</html>"
    data = stored(raw)
    assert b"secret" not in data and b"prVt" not in data and b"trailer" not in data
    assert data.endswith(b"IEND\xaeB`\x82")


def test_webp_trailing_bytes_are_dropped_and_the_result_decodes():
    raw = webp(exif=SECRET_EXIF) + b"garbage after the RIFF container"
    data = stored(raw)
    assert b"garbage" not in data and b"EXIF" not in data and b"TestCam" not in data
    assert pixels(data) == pixels(webp())
    # a derivative can be made from what is stored (the job used to fail forever)
    assert images.make_derivatives(data, (32,))


def _corrupt_jpeg_cases():
    good = jpeg(160, 120)
    sos = good.index(b"\xff\xda")
    return {
        "segment length past the end": good[:2] + b"\xff\xe1\xff\xff" + b"abc",
        "segment length below 2": good[:2] + b"\xff\xe1\x00\x01" + good[2:],
        "garbage between segments": good[:20] + b"\x00\x11\x22" + good[20:],
        "scan without an end": good[:-2][: len(good) - 200],
        "no scan at all": good[:sos] + b"\xff\xd9",
        "second SOI": good[:2] + b"\xff\xd8" + good[2:],
    }


@pytest.mark.parametrize("name", sorted(_corrupt_jpeg_cases()))
def test_malformed_jpeg_segments_are_refused(name):
    with pytest.raises((errors.PhotoCorrupt, errors.NotAnImage)):
        images.process_upload(_corrupt_jpeg_cases()[name], **LIMITS)


def _corrupt_png_cases():
    good = png(32, 32)
    return {
        "bad CRC": good[:29] + bytes([good[29] ^ 0xFF]) + good[30:],
        "chunk length past the end": good[:33] + struct.pack(">I", 10**9) + b"IDAT" + good[41:],
        "no IEND": good[:-12],
    }


@pytest.mark.parametrize("name", sorted(_corrupt_png_cases()))
def test_malformed_png_chunks_are_refused(name):
    with pytest.raises((errors.PhotoCorrupt, errors.NotAnImage)):
        images.process_upload(_corrupt_png_cases()[name], **LIMITS)


def _corrupt_webp_cases():
    good = webp()
    return {
        "RIFF size past the end": good[:4] + struct.pack("<I", len(good) * 4) + good[8:],
        "chunk size past the RIFF end": good[:16] + struct.pack("<I", 10**8) + good[20:],
        "no image chunk": b"RIFF" + struct.pack("<I", 4 + 8 + 4) + b"WEBP" + b"XMP " + struct.pack("<I", 4) + b"abcd",
    }


@pytest.mark.parametrize("name", sorted(_corrupt_webp_cases()))
def test_malformed_webp_chunks_are_refused(name):
    with pytest.raises((errors.PhotoCorrupt, errors.NotAnImage)):
        images.process_upload(_corrupt_webp_cases()[name], **LIMITS)


@pytest.mark.parametrize("when, offset", [("0001:01:01 00:00:00", "+14:00"), ("9999:12:31 23:59:59", "-12:00"),
                                          ("9999:12:31 23:59:59", None), ("0001:01:01 00:00:00", None)])
def test_exif_times_out_of_range_are_ignored_and_the_photo_kept(when, offset):
    photo = images.process_upload(jpeg(exif=exif_bytes(when=when, offset=offset)), **LIMITS)
    assert photo.captured_at is None and photo.data
