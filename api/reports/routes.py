"""Citizen snap-and-report endpoints of the reports domain: the category list, a draft's photos.

Starting, listing, tracking, submitting, withdrawing, reopening and rating a report need its case: those are
the citizen view's endpoints (api/citizen/routes.py), on the same /reports paths.
"""

from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView

from api.access import current_user, public, requires
from api.extensions import Blueprint
from api.media import uploads
from api.media.errors import (
    NotAnImage,
    PhotoCorrupt,
    PhotoFormatUnsupported,
    PhotoMissing,
    PhotoTooLarge,
    PhotoTooManyPixels,
)
from api.reports import categories, service
from api.reports.errors import PhotoNotFound, ReportNotDraft, ReportNotFound, TooManyPhotos
from api.reports.present import photo_view
from api.reports.schemas import CitizenCategorySchema, PhotoSchema, PhotoUploadSchema
from api.roles import Role

blp = Blueprint("reports", __name__, url_prefix="/reports", description="Citizen snap-and-report")


def _base_url() -> str:
    return request.host_url


@blp.route("/categories")
class Categories(MethodView):
    @public
    @blp.response(200, CitizenCategorySchema(many=True))
    def get(self):
        """The category list the mini-program offers"""
        return list(categories.CATEGORIES)


@blp.route("/<int:report_id>/photos")
class ReportPhotos(MethodView):
    @requires(Role.CITIZEN)
    @blp.arguments(PhotoUploadSchema, location="files")
    @blp.response(201, PhotoSchema)
    @blp.errors(PhotoMissing, ReportNotFound, ReportNotDraft, TooManyPhotos, PhotoTooLarge, NotAnImage,
                PhotoFormatUnsupported, PhotoTooManyPixels, PhotoCorrupt)
    def post(self, files, report_id: int):
        """Attach one photo (multipart field `photo`) to a draft; 1–9 per report

        Stores the photo on the draft (event `photo_attached`) and answers its signed links. JPEG, PNG or WebP
        (MPO: its first picture), at most 10 MB, checked by content; only the image is kept (EXIF, XMP, thumbnails
        and anything appended are dropped; capture time and GPS are kept as fields); auto-oriented. WeChat's
        image check runs as a job afterwards: a photo judged risky blocks the submit until it is removed.
        """
        raw = uploads.read_photo(files, current_app.config["PHOTO_MAX_BYTES"])
        item = service.attach_photo(current_user(), report_id, raw)
        return photo_view(item, _base_url())


blp.before_request(uploads.refuse_oversized_photo)


@blp.route("/<int:report_id>/photos/<int:media_id>")
class ReportPhotoById(MethodView):
    @requires(Role.CITIZEN)
    @blp.response(204)
    @blp.errors(ReportNotFound, PhotoNotFound, ReportNotDraft)
    def delete(self, report_id: int, media_id: int):
        """Remove a photo from a draft

        Deletes the photo and its files (event `photo_removed`); only while the report is a draft.
        """
        service.remove_photo(current_user(), report_id, media_id)

