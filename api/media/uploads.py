"""Reading one photo from a multipart request (the same rules for every photo endpoint)."""

from __future__ import annotations

from flask import current_app, request

from api.media.errors import PhotoMissing, PhotoTooLarge

MULTIPART_OVERHEAD = 64 * 1024


def read_photo(files: dict, limit: int) -> bytes:
    """The bytes of the multipart field `photo`, refusing a missing field or more than `limit` bytes."""
    upload = files.get("photo")
    if upload is None or not hasattr(upload, "read"):
        raise PhotoMissing()
    raw = upload.read(limit + 1)  # read one byte past the limit to know it was exceeded, never the whole body
    if len(raw) > limit:
        raise PhotoTooLarge(details={"max_bytes": limit})
    return raw


def refuse_oversized_photo() -> None:
    """A blueprint's before_request: an oversized photo body is refused before it is parsed, with the
    photo-specific code (instead of the generic 413 that MAX_CONTENT_LENGTH would give)."""
    limit = current_app.config["PHOTO_MAX_BYTES"]
    if request.method == "POST" and request.path.endswith("/photos") and \
            (request.content_length or 0) > limit + MULTIPART_OVERHEAD:
        raise PhotoTooLarge(details={"max_bytes": limit})
