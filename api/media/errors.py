"""Photo errors, named as facts."""

from api.errors import BadRequest, NotFound, PayloadTooLarge, Unprocessable, UnsupportedMedia


class PhotoTooLarge(PayloadTooLarge):
    code, message = "PHOTO_TOO_LARGE", "The photo is larger than 10 MB."


class PhotoMissing(BadRequest):
    code, message = "PHOTO_MISSING", "Send the photo as multipart/form-data in the field 'photo'."


class NotAnImage(UnsupportedMedia):
    code, message = "PHOTO_NOT_AN_IMAGE", "The file is not an image."


class PhotoFormatUnsupported(UnsupportedMedia):
    code, message = "PHOTO_FORMAT_UNSUPPORTED", "Only JPEG, PNG and WebP photos are accepted."


class PhotoTooManyPixels(Unprocessable):
    code, message = "PHOTO_TOO_MANY_PIXELS", "The image has too many pixels (possible decompression bomb)."


class PhotoCorrupt(Unprocessable):
    code, message = "PHOTO_CORRUPT", "The image is truncated or corrupt."


class PhotoContentRisky(Unprocessable):
    code, message = "PHOTO_CONTENT_RISKY", "The photo was refused by the content-security check."


class MediaLinkInvalid(NotFound):
    code, message = "MEDIA_LINK_INVALID", "The media link is invalid or has expired."
