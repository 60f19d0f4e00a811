"""Filing a request: a registered client's POST becomes a case from the `open311` source, at the 受理 desk.

`lat` / `long` are WGS-84 and required (an address alone is refused: there is no geocoder); the point must be in the
district. `media_url` is kept as the client's link and shown to staff, never fetched. The reporter's contact as the
client sent it is kept for staff and never leaves through the façade.
"""

from __future__ import annotations

import uuid

import marshmallow as ma
import sqlalchemy as sa

from api import jobs
from api.cases import acceptance
from api.cases.models import Case
from api.db import Session
from api.errors import DomainError
from api.events.service import Actor
from api.i18n import gettext
from api.open311 import catalogue
from api.open311.errors import NotFound, Open311Error
from api.open311.models import Open311Client, Open311Request
from api.organisation import grids
from api.outbox import service as outbox
from api.taxonomy import service as taxonomy

CONTACT = ("email", "first_name", "last_name", "phone", "device_id", "account_id", "address_id")


def _text(limit: int, **kwargs) -> ma.fields.String:
    return ma.fields.String(validate=ma.validate.Length(max=limit), load_default=None, **kwargs)


class RequestForm(ma.Schema):
    """The form a client POSTs (GeoReport v2's fields; attribute[…] and anything else are ignored)."""

    class Meta:
        unknown = ma.EXCLUDE

    service_code = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=40))
    lat = ma.fields.Float(load_default=None, allow_nan=False)
    long = ma.fields.Float(load_default=None, allow_nan=False)
    address_string = _text(200)
    address_id = _text(100)
    email = _text(254)
    device_id = _text(100)
    account_id = _text(100)
    first_name = _text(50)
    last_name = _text(50)
    phone = _text(30)
    description = _text(4000)
    media_url = ma.fields.Url(schemes={"http", "https"}, validate=ma.validate.Length(max=1000), load_default=None)


def _clean(form: dict) -> dict:
    # a NUL or other control character has no place in a report (and PostgreSQL refuses NUL in text)
    return {k: "".join(ch for ch in v if ch >= " " or ch in "\n\t") if isinstance(v, str) else v
            for k, v in form.items()}


def load(form) -> dict:
    raw = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        body = RequestForm().load(raw)
    except ma.ValidationError as exc:
        fields = ", ".join(sorted(str(k) for k in exc.messages))
        raise Open311Error(gettext("Invalid fields: %(fields)s.", fields=fields)) from exc
    if body["lat"] is None or body["long"] is None:
        if body["address_string"] or body["address_id"]:
            raise Open311Error(gettext("An address alone cannot be placed: send lat and long (WGS-84)."))
        raise Open311Error(gettext("lat and long (WGS-84) are required."))
    return _clean(body)


def file(client: Open311Client, form) -> Open311Request:
    body = load(form)
    service = catalogue.service(body["service_code"])
    try:
        lat, lon = grids.check_in_district(body["lat"], body["long"], "wgs84")
    except DomainError as exc:
        raise Open311Error(gettext("The point is outside the district: this service covers Baiyun district only."))\
            from exc
    category = taxonomy.current(service.category_code) if service.category_code else None
    description = (body["description"] or "").strip() or service.name
    case = acceptance.open_case("open311", Actor("open311", client.id), description=description, lat=lat, lon=lon,
                                category=category, address_text=(body["address_string"] or None),
                                payload={"open311_client": client.name, "service_code": service.code,
                                         "media_url": body["media_url"]})
    filed = Open311Request(case_id=case.id, client_id=client.id, token=str(uuid.uuid4()), service_code=service.code,
                           media_url=body["media_url"], contact={k: body[k] for k in CONTACT if body.get(k)})
    Session.add(filed)
    Session.flush()
    outbox.add(jobs.SUGGEST_CASE(case.id))  # the classifier's suggestion for the 受理 clerk, as for any report
    return filed


def by_token(token: str) -> tuple[Open311Request, Case]:
    found = Session.execute(sa.select(Open311Request, Case).join(Case, Case.id == Open311Request.case_id)
                            .where(Open311Request.token == token[:36])).first()
    if found is None:
        raise NotFound(gettext("No request has this token."))
    return found.Open311Request, found.Case
