"""Reading one photo from a multipart request (the same rules for every photo endpoint)."""

from __future__ import annotations

from api.media.errors import PhotoMissing, PhotoTooLarge


def read_photo(files: dict, limit: int) -> bytes:
    """The bytes of the multipart field `photo`, refusing a missing field or more than `limit` bytes."""
    upload = files.get("photo")
    if upload is None or not hasattr(upload, "read"):
        raise PhotoMissing()
    raw = upload.read(limit + 1)  # read one byte past the limit to know it was exceeded, never the whole body
    if len(raw) > limit:
        raise PhotoTooLarge(details={"max_bytes": limit})
    return raw
