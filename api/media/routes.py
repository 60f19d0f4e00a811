"""Serve stored media through expiring signed links."""

from __future__ import annotations

import marshmallow as ma
from flask import Response, current_app
from flask.views import MethodView

from api.access import public
from api.db import Session
from api.extensions import Blueprint
from api.media import signing
from api.media.errors import MediaLinkInvalid
from api.media.models import Media
from api.media.storage import get_storage

blp = Blueprint("media", __name__, url_prefix="/media", description="Photos behind expiring signed links")


class SignedLinkArgsSchema(ma.Schema):
    exp = ma.fields.Integer(required=True, metadata={"description": "Expiry, Unix seconds"})
    sig = ma.fields.String(required=True)


@blp.route("/<int:media_id>/<string:variant>")
class MediaFile(MethodView):
    @public
    @blp.arguments(SignedLinkArgsSchema, location="query")
    @blp.response(200, content_type="image/jpeg", description="The image bytes")
    @blp.errors(MediaLinkInvalid)
    def get(self, args, media_id: int, variant: str):
        """Fetch a photo (original, display or thumb) by a signed link

        Links come from report responses and expire (MEDIA_URL_TTL_S); a bad or expired link is 404.
        """
        if not signing.check(media_id, variant, args["exp"], args["sig"], current_app.config["MEDIA_SIGNING_KEY"]):
            raise MediaLinkInvalid()
        media = Session.get(Media, media_id)
        if media is None:
            raise MediaLinkInvalid()
        data = get_storage().get(media.key_for(variant))
        response = Response(data, mimetype=media.content_type_for(variant))
        response.headers["Cache-Control"] = "private, max-age=300"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
