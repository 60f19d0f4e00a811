"""The façade's errors, in the specification's shape (the one place that does not use our JSON envelope): an
array of {code, description} in JSON, <errors><error><code/><description/></error></errors> in XML. `code` is the
HTTP status, as GeoReport v2 servers give it; the description is Chinese unless the client asks for English."""

from __future__ import annotations

from api.errors import NotFound as Missing
from api.i18n import N_


class ClientNotFound(Missing):
    """The admin API's (our JSON envelope)."""

    code = "OPEN311_CLIENT_NOT_FOUND"
    message = N_("No Open311 client has this id.")


class Open311Error(Exception):
    status = 400

    def __init__(self, description: str, status: int | None = None, retry_after: int | None = None):
        super().__init__(description)
        self.description = description
        self.status = status or self.status
        self.retry_after = retry_after


class NotFound(Open311Error):
    status = 404


class BadKey(Open311Error):
    status = 403


class RateExceeded(Open311Error):
    status = 429
