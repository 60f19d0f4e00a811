"""The case page and the actions on it.

GET  /console/cases/<id>          everything about one case, with the forms of the actions this user may take now
POST /console/cases/<id>/<action> one action of api/cases/actions.py: the form read by the API's own schema, the
                                  same service in one unit of work; refused or invalid, the page again with why
POST /console/cases/<id>/photos   several after-photos (or verification photos) at once, all or none
"""

from __future__ import annotations

from datetime import datetime

import marshmallow as ma
from flask import abort, current_app, flash, redirect, render_template, request, url_for

from api.cases import actions, handling, present, queries
from api.db import Session, unit_of_work, utcnow
from api.errors import DomainError
from api.i18n import N_, translate
from api.i18n import gettext as _
from api.identity.models import User
from api.media.errors import PhotoMissing, PhotoTooLarge
from api.media.models import MediaKind
from api.organisation import queries as organisation
from api.roles import Role
from api.timefmt import SHANGHAI
from console import bp, desks
from console.auth import own_unit_of_work, signed_in, staff
from console.pages import invalid_message, load

NEARBY_M = 200  # open cases this close are offered as the case a duplicate merges into
MAX_PHOTOS = 6  # after-photos sent at once
MULTIPART_OVERHEAD = 64 * 1024
ACTION_LABELS = {
    "accept": N_("Accept"), "refuse": N_("Do not accept"), "merge": N_("Merge as a duplicate"),
    "unmerge": N_("Undo the merge"), "request-verification": N_("Ask a supervisor to verify"),
    "verification": N_("Record the verification"), "category": N_("Correct the category"),
    "component": N_("Link a component"), "priority": N_("Set the priority"), "dispatch": N_("Dispatch"),
    "receive": N_("Receive"), "return": N_("Return to dispatch"), "result": N_("Give the result"),
    "check": N_("Check"), "approve-close": N_("Approve closing"), "reject-close": N_("Send back from closing"),
    "defer": N_("Defer"), "resume": N_("Resume"), "extension-request": N_("Ask for more time"),
    "extend": N_("Extend the deadline"),
}


def _page(case_id: int, *, error: str | None = None, status: int = 200, form: dict | None = None):
    user = staff()
    case = queries.get_for_staff(user, case_id)  # 404 unknown, 403 outside the caller's scope (a guessed URL)
    view = present.detail(case, request.host_url, user)
    allowed = [a.name for a in actions.available(user, case)]
    context = {"case": view, "allowed": allowed, "labels": {n: _(ACTION_LABELS[n]) for n in allowed},
               "photo_kinds": actions.photo_kinds(user, case), "error": error, "form": form or {},
               "rounds": _rounds(view["photos"]), "points": _points(view)}
    if {"accept", "category"} & set(allowed):
        context["categories"], context["category_options"] = desks.categories(), desks.category_options
    if "merge" in allowed:
        context["nearby"] = [(present.listed([other], request.host_url)[0], round(metres)) for other, metres in
                             queries.open_near(case, NEARBY_M, queries.scope(user), limit=10)]
    if "dispatch" in allowed:
        context["departments"] = organisation.departments()
        try:
            department, basis, deadline = handling.dispatch_plan(case, None, utcnow())
            context["plan"] = {"department": department, "basis": basis, "deadline": deadline.at,
                               "provisional": deadline.provisional}
        except DomainError as unknown:  # no 小类 yet, or nobody answers for it here: the desk picks by hand
            context["plan_error"] = translate(unknown.message)
    if "receive" in allowed and Role.DEPT_HEAD in user.roles:
        context["handlers"] = _handlers(case.department_id)
    return render_template("console/case.html", **context), status


def _rounds(photos: list[dict]) -> list[tuple[int, list[dict]]]:
    """The photos by result round: 0 is the report (and its 核实); n the n-th result and its 核查."""
    rounds: dict[int, list[dict]] = {}
    for photo in photos:
        rounds.setdefault(photo["round"], []).append(photo)
    return sorted(rounds.items())


def _points(view: dict) -> list[dict]:
    """The map's points, WGS-84 (the map draws in one datum): the reported place and where each photo was taken."""
    points = [{"lat": view["lat"], "lon": view["lon"], "kind": "case", "label": _("Reported location")}]
    for photo in view["photos"]:
        if photo["capture_location"]:
            wgs = photo["capture_location"]["wgs84"]
            points.append({"lat": wgs["lat"], "lon": wgs["lon"], "kind": "photo",
                           "label": f"{_('Photo')} #{photo['id']}（{photo['capture_place']}）"})
    return points


def _handlers(department_id: int) -> list[User]:
    ids = queries.staff_with_role(Role.DEPT_HANDLER, department_id=department_id)
    heads = queries.staff_with_role(Role.DEPT_HEAD, department_id=department_id)
    people = [Session.get(User, user_id) for user_id in dict.fromkeys(ids + heads)]
    return [user for user in people if user is not None]


@bp.route("/cases/<int:case_id>")
@signed_in
def case_page(case_id: int):
    return _page(case_id)


def _form_body(action: actions.Action) -> dict:
    """The form as the API's JSON body: empty fields absent, a local datetime input read as Shanghai time."""
    body = {}
    for name in action.schema().fields:
        value = request.form.get(name, "").strip()
        if not value:
            continue
        if name == "until":  # <input type=datetime-local> (2026-12-08T18:00[:ss]): Shanghai time
            value = _as_shanghai(value)
        body[name] = value
    return body


def _as_shanghai(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value  # the schema says what is wrong with it
    return (moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)).isoformat()


@bp.route("/cases/<int:case_id>/<name>", methods=["POST"])
@own_unit_of_work
@signed_in
def take_action(case_id: int, name: str):
    action = actions.BY_NAME.get(name)
    if action is None:
        abort(404)
    try:
        body = load(action.schema(), _form_body(action))
        with unit_of_work():
            actions.take(staff(), case_id, action, body)
    except ma.ValidationError as invalid:
        return _page(case_id, error=invalid_message(invalid), status=400, form=request.form)
    except DomainError as refused:
        if refused.status == 404:
            raise
        return _page(case_id, error=translate(refused.message), status=refused.status, form=request.form)
    flash(_("Done: %(action)s.", action=_(ACTION_LABELS[name])), "success")
    return redirect(url_for("console.case_page", case_id=case_id))


def upload_limit() -> int:
    """The body a photo upload may send: MAX_PHOTOS photos and the multipart framing (the app's own limit is one)."""
    return current_app.config["PHOTO_MAX_BYTES"] * MAX_PHOTOS + MULTIPART_OVERHEAD


@bp.route("/cases/<int:case_id>/photos", methods=["POST"])
@own_unit_of_work
@signed_in
def add_photos(case_id: int):
    limit = current_app.config["PHOTO_MAX_BYTES"]
    kind = request.form.get("kind", "")
    if kind not in (MediaKind.AFTER_PHOTO, MediaKind.VERIFICATION_PHOTO):
        return _page(case_id, error=_("Choose which photos these are."), status=400)
    uploads = [f for f in request.files.getlist("photo") if f and f.filename]
    try:
        if not uploads:
            raise PhotoMissing()
        if len(uploads) > MAX_PHOTOS:
            return _page(case_id, error=_("At most %(n)s photos at once.", n=MAX_PHOTOS), status=400)
        with unit_of_work():  # all or none: one bad file keeps the others out too, and the page says which
            for upload in uploads:
                raw = upload.read(limit + 1)
                if len(raw) > limit:
                    raise PhotoTooLarge(details={"max_bytes": limit, "file": upload.filename})
                try:
                    handling.add_photo(staff(), case_id, raw, MediaKind(kind))
                except DomainError as refused:
                    refused.details.setdefault("file", upload.filename)
                    raise
    except DomainError as refused:
        if refused.status == 404:
            raise
        name = refused.details.get("file")
        message = translate(refused.message)
        return _page(case_id, error=f"{name}：{message}" if name else message, status=refused.status)
    flash(_("%(n)s photos added.", n=len(uploads)), "success")
    return redirect(url_for("console.case_page", case_id=case_id))
