"""GeoReport v2 under /open311/v2/ (wiki.open311.org/GeoReport_v2), XML or JSON by the extension.

A plain Flask blueprint beside the API (it is not in our OpenAPI document and does not use our JSON error
envelope: every error, unknown URLs and wrong methods under the prefix included, is the specification's array of
{code, description}). Reading is public; filing needs a registered client's `api_key`.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, request
from werkzeug.exceptions import HTTPException

from api.access import public
from api.config import get_config
from api.db import unit_of_work
from api.errors import DomainError, answer_under
from api.extensions import UNIT_OF_WORK_ATTR
from api.i18n import gettext, translate
from api.identity import ratelimit
from api.open311 import catalogue, clients, filing
from api.open311 import public as following
from api.open311.errors import NotFound, Open311Error, RateExceeded
from api.open311.formats import FORMATS, error, render

log = logging.getLogger(__name__)
bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
FMT = "<any(xml, json):fmt>"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"


def _format() -> str:
    fmt = (request.view_args or {}).get("fmt") or request.path.rsplit(".", 1)[-1]
    return fmt if fmt in FORMATS else "xml"


@bp.errorhandler(Open311Error)
def _open311_error(problem: Open311Error):
    return error(_format(), problem)


@bp.errorhandler(DomainError)
def _domain_error(problem: DomainError):
    return error(_format(), Open311Error(translate(problem.message), 400 if problem.status < 500 else 503))


@bp.errorhandler(HTTPException)
def _http_error(problem: HTTPException):
    status = problem.code or 400
    if status == 404:
        description = gettext("Not found.")
    elif status == 405:
        description = gettext("This method is not allowed here.")
    else:
        description = gettext("The request cannot be processed.")
    return error(_format(), Open311Error(description, status if status < 500 else 400))


answer_under(bp.url_prefix + "/", _http_error)  # what the router refuses before any view: no envelope either


@bp.errorhandler(Exception)
def _unexpected(problem: Exception):
    log.exception("open311: unexpected error")
    return error(_format(), Open311Error(gettext("The service is unavailable, try again later."), 503))


@bp.before_request
def _reads_have_a_rate():
    """Reading is public, and a full list is dear: each client address has OPEN311_READS_PER_MINUTE (behind a
    proxy, TRUSTED_PROXY_COUNT makes the address the client's). Filing is counted per key instead."""
    if request.method not in ("GET", "HEAD"):
        return
    limit = get_config().OPEN311_READS_PER_MINUTE
    window = f"open311-read:{request.remote_addr}"
    if ratelimit.hit(window, clients.WINDOW_S) > limit:
        raise RateExceeded(gettext("Too many requests from this address: at most %(rate)s a minute.", rate=limit),
                           retry_after=ratelimit.ttl(window))


@bp.get(f"/discovery.{FMT}")
@public
def discovery(fmt: str):
    config = get_config()
    endpoints = [{"specification": SPECIFICATION, "url": url, "changeset": "2026-12-07T00:00:00+08:00",
                  "type": kind, "formats": ["text/xml", "application/json"]} for kind, url in config.open311_endpoints]
    return render(fmt, "discovery", {"changeset": "2026-12-07T00:00:00+08:00", "contact": config.OPEN311_CONTACT,
                                     "key_service": config.OPEN311_KEY_SERVICE, "endpoints": endpoints})


@bp.get(f"/services.{FMT}")
@public
def services(fmt: str):
    return render(fmt, "services", [s.record() for s in catalogue.services()])


@bp.get(f"/services/<string(maxlength=40):service_code>.{FMT}")
@public
def definition(service_code: str, fmt: str):
    service = catalogue.service(service_code)
    return render(fmt, "service_definition", {"service_code": service.code, "attributes": []})


@bp.get(f"/requests.{FMT}")
@public
def requests_(fmt: str):
    args = {k: request.args.get(k, "")[:4000] for k in ("service_request_id", "service_code", "start_date",
                                                         "end_date", "status")}
    return render(fmt, "service_requests", following.search(args))


def file_request(fmt: str):
    """POST requests (form-encoded, api_key): one case at the 受理 desk; the answer is its token."""
    client = clients.authenticate(request.form.get("api_key"))  # never from the URL: it would end up in logs
    with unit_of_work():
        filed = filing.file(client, request.form)
        token = filed.token
    return render(fmt, "service_requests", [{"token": token, "service_notice": gettext(
        "Received: a person at the 受理 desk reads it first; it is listed once accepted.")}], 201)


file_request = public(file_request)
setattr(file_request, UNIT_OF_WORK_ATTR, True)
bp.add_url_rule(f"/requests.{FMT}", "file_request", file_request, methods=["POST"])


@bp.get(f"/requests/<string(maxlength=60):service_request_id>.{FMT}")
@public
def one_request(service_request_id: str, fmt: str):
    return render(fmt, "service_requests", following.one(service_request_id))


@bp.get(f"/tokens/<string(maxlength=60):token>.{FMT}")
@public
def token(token: str, fmt: str):
    filed, case = filing.by_token(token)
    row = {"token": filed.token}
    if case.status in following.PUBLIC:
        row = {"service_request_id": case.case_no, **row}
    return render(fmt, "service_requests", [row])


@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@bp.route("/", defaults={"rest": ""}, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@public
def elsewhere(rest: str):
    """Anything else under the prefix: the specification's 404 (or 405 for a known URL with another method)."""
    try:
        endpoint, _ = current_app.url_map.bind_to_environ(request.environ).match(request.path, method="GET")
    except HTTPException:
        endpoint = None
    if endpoint and endpoint != "open311.elsewhere":
        raise Open311Error(gettext("This method is not allowed here."), 405)
    raise NotFound(gettext("Not found."))


setattr(elsewhere, UNIT_OF_WORK_ATTR, True)  # it writes nothing: the attribute says its unit of work is settled
