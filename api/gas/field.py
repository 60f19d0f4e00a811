"""The inspector's field app: the day's list in walking order, photos uploaded ahead of their visits, and batches
of visits recorded offline, each answered on its own.

Batch rules (docs/gas.md "The field app's protocol"):
- every visit carries the app's own id (`client_id`, a UUID); a visit already received answers `duplicate` with
  what it became, so a batch sent twice, or resent after a cut connection, changes nothing;
- each visit is applied in its own SAVEPOINT: a bad one is `rejected` with an error code, the rest go on;
- a visit recorded against an assignment that changed meanwhile (the task's `version`, or another inspector's
  task), or one that would complete a task another visit completed, is kept as a `conflict` for the gas
  supervisor — nothing is overwritten, nothing is lost; a no-show recorded before the task was completed is kept
  as history (batches may arrive out of order);
- photos named by a visit must have been uploaded first (`PUT /gas/field/photos/{client_id}`); a visit naming one
  that is missing is `rejected` with GAS_PHOTO_NOT_UPLOADED and can be sent again once it is there;
- times follow the API's rule (1970–2199) and the visit's own sense: not in the future (beyond a clock skew), not
  long before its task existed (GAS_VISIT_BEFORE_TASK) — a phone with a wrong clock cannot count no-shows;
- the check-in comes in the app's datum (GCJ-02 by default, as wx.getLocation gives it) and is stored, and measured
  against the gas user's point, in WGS-84.
"""

from __future__ import annotations

from datetime import date, timedelta

import marshmallow as ma
import sqlalchemy as sa

from api import geo, timefmt
from api.config import get_config
from api.db import Session
from api.errors import Conflict, DomainError, error_body
from api.events.service import Actor, record
from api.extensions import check_loaded
from api.gas import checklist, errors, hazards, tour, users
from api.gas.models import GasHazard, GasPhoto, GasTask, GasUser, GasVisit, GasVisitItem
from api.gas.planning import supervisors
from api.gas.schemas import VisitSchema
from api.identity.models import User
from api.media import images
from api.media import service as media
from api.media.models import MediaKind
from api.notifications import inbox
from api.premises.models import Premises

COMPLETING = ("passed", "hazards", "refused")
# How long before its task was planned a visit may say it happened: a phone whose clock or time zone is off by
# hours still syncs; a visit dated days (or a century) before its task is a wrong clock or a forgery.
BEFORE_TASK_ALLOWANCE = timedelta(days=1)


class VisitRejected(DomainError):
    status = 422

    def __init__(self, code: str, message: str, details: dict | None = None):
        super().__init__(message, details=details, code=code)


class VisitInvalid(DomainError):
    """A visit its schema refuses (`details.fields`, as a request's VALIDATION_ERROR)."""

    status, code, message = 422, "VALIDATION_ERROR", "The visit is not valid; see details."


class VisitRetry(Conflict):
    code, message = "GAS_VISIT_RETRY", "Another request wrote this visit's task at the same time; send the visit again."


def day_list(inspector: User, today: date, start: tuple[float, float] | None) -> list[dict]:
    """The inspector's assigned tasks due by today + GAS_LOOKAHEAD_DAYS (overdue first when there are more than a
    day holds), in walking order from `start` (or the first)."""
    config = get_config()
    mine = (sa.select(GasTask.id, GasTask.version, GasTask.kind, GasTask.hazard_id, GasTask.due_on, GasTask.misses,
                      GasTask.gas_user_id)
            .where(GasTask.inspector_id == inspector.id, GasTask.status == "assigned",
                   GasTask.due_on <= today + timedelta(days=config.GAS_LOOKAHEAD_DAYS))
            .order_by(GasTask.due_on, GasTask.id).limit(config.GAS_DAY_MAX_TASKS).subquery())  # the index's rows
    rows = Session.execute(
        sa.select(mine, GasUser.number, GasUser.user_type, GasUser.supply, GasUser.contact_name, GasUser.phone,
                  Premises.address, sa.func.coalesce(GasUser.lat, Premises.lat).label("lat"),
                  sa.func.coalesce(GasUser.lon, Premises.lon).label("lon"))
        .join(GasUser, GasUser.id == mine.c.gas_user_id).join(Premises, Premises.id == GasUser.premises_id)
        .order_by(mine.c.due_on, mine.c.id)).all()
    placed = [r for r in rows if r.lat is not None]
    route = tour.order([(r.lat, r.lon) for r in placed], start)
    ordered = [placed[i] for i in route] + [r for r in rows if r.lat is None]
    items = {}
    return [{"task_id": r.id, "version": r.version, "kind": r.kind, "hazard_id": r.hazard_id, "due_on": r.due_on,
             "overdue": r.due_on < today, "misses": r.misses, "gas_user_id": r.gas_user_id, "number": r.number,
             "user_type": r.user_type, "supply": r.supply, "contact_name": r.contact_name, "phone": r.phone,
             "address": r.address, "lat": r.lat, "lon": r.lon,
             "location": geo.both_systems(r.lat, r.lon) if r.lat is not None else None,
             "checklist": items.setdefault((r.user_type, r.supply), [
                 i.code for i in checklist.applicable(checklist.CURRENT, r.user_type, r.supply)])}
            for r in ordered]


def upload_photo(inspector: User, client_id: str, raw: bytes) -> tuple[GasPhoto, bool]:
    """Store a photo under the app's id; the same id again answers the stored one (False: nothing new)."""
    known = Session.get(GasPhoto, client_id)
    if known is not None:
        if known.inspector_id != inspector.id:
            raise errors.PhotoIdTaken()
        return known, False
    config = get_config()
    photo = images.process_upload(raw, max_bytes=config.PHOTO_MAX_BYTES, max_pixels=config.PHOTO_MAX_PIXELS,
                                  preview=False)  # staff's own evidence: no content-security check
    item = media.store_photo(photo, kind=MediaKind.GAS_PHOTO, owner_type="gas_photo", owner_id=inspector.id,
                             uploaded_by=inspector.id)
    row = GasPhoto(client_id=client_id, inspector_id=inspector.id, media_id=item.id)
    Session.add(row)
    Session.flush()
    return row, True


def sync(inspector: User, visits: list[dict]) -> list[dict]:
    """Apply a batch; one answer per visit, in the batch's order."""
    answers = []
    for raw in visits:
        client_id = raw.get("client_id") if isinstance(raw, dict) else None
        try:
            with Session.begin_nested():
                answers.append(_one(inspector, raw))
        except DomainError as exc:  # VisitRejected, or a domain refusal met while applying it
            answers.append(_rejected(client_id, exc))
        except ma.ValidationError as exc:
            answers.append(_rejected(client_id, VisitInvalid(details={"fields": exc.messages})))
        except sa.exc.IntegrityError:  # the same visit sent again meanwhile, by a batch still in flight
            known = Session.scalar(sa.select(GasVisit).where(GasVisit.client_id == client_id))
            answers.append(_answer(known, "duplicate") if known is not None else _rejected(client_id, VisitRetry()))
    return answers


def _rejected(client_id, error: DomainError) -> dict:
    """A rejected visit's answer: its error as the envelope writes one, in the request's language."""
    return {"client_id": client_id, "status": "rejected", "error": error_body(error)}


def _one(inspector: User, raw: dict) -> dict:
    if not isinstance(raw, dict):
        raise ma.ValidationError({"_schema": ["a visit is an object"]})
    check_loaded(raw)  # the API's input rules (text, 64-bit integers), for this visit alone
    body = VisitSchema().load(raw)
    check_loaded(body)
    known = Session.scalar(sa.select(GasVisit).where(GasVisit.client_id == body["client_id"]))
    if known is not None:
        if known.inspector_id != inspector.id:
            raise VisitRejected("GAS_VISIT_ID_TAKEN", "Another inspector's visit has this id.")
        return _answer(known, "duplicate")
    task = Session.get(GasTask, body["task_id"], with_for_update=True)
    if task is None or (task.inspector_id != inspector.id and not _was_assigned(task, inspector)):
        raise VisitRejected("GAS_TASK_NOT_FOUND", "No such task of yours.")
    _check_time(task, body)
    user = Session.get(GasUser, task.gas_user_id, with_for_update=True)
    checkin = geo.to_wgs84(body["checkin"]["lat"], body["checkin"]["lon"], body["checkin"]["coord_system"])
    distance = _check_in(body, checkin, users.point(user, Session.get(Premises, user.premises_id)))
    photos = _photos(inspector, body)
    results = _checklist(body, task, user)
    visit = GasVisit(client_id=body["client_id"], task_id=task.id, task_version=body["task_version"],
                     inspector_id=inspector.id, gas_user_id=user.id, outcome=body["outcome"], state="applied",
                     started_at=body["started_at"], finished_at=body["finished_at"], lat=round(checkin[0], 7),
                     lon=round(checkin[1], 7), coord_system_in=body["checkin"]["coord_system"], distance_m=distance,
                     override_reason=body.get("override_reason"), checklist_version=body["checklist_version"],
                     note=body.get("note"), measures=body["measures"],
                     signature_media_id=photos.get(body.get("signature_photo_id")))
    conflict = _conflict(task, inspector, body)
    if conflict:
        visit.state, visit.conflict = "conflict", conflict
    Session.add(visit)
    Session.flush()
    Session.add_all(GasVisitItem(visit_id=visit.id, item_code=i["code"], result=i["result"], note=i.get("note"),
                                 photo_media_id=photos.get(i.get("photo_id"))) for i in body["items"])
    actor = Actor("staff", inspector.id)
    record("gas_visit", visit.id, "gas_visit_received", actor, to_state=visit.state,
           payload={"client_id": visit.client_id, "task_id": task.id, "outcome": visit.outcome,
                    "conflict": conflict, "distance_m": distance, "measures": visit.measures})
    if distance is not None and distance > get_config().GAS_CHECKIN_TOLERANCE_M:  # checked in by the override
        inbox.notify(supervisors(user.street_code), "gas_checkin_override", "gas_visit", visit.id,
                     f"安检签到距离{distance:.0f}米，超出范围：{visit.override_reason}", flagged=True)
    if conflict:
        inbox.notify(supervisors(user.street_code), "gas_visit_conflict", "gas_visit", visit.id,
                     f"安检记录冲突（任务{task.id}）：{conflict}", flagged=True)
    elif not _history(task, visit):
        _apply(task, user, visit, results, actor)
    Session.flush()
    return _answer(visit, "conflict" if conflict else "accepted")


def _answer(visit: GasVisit, status: str) -> dict:
    return {"client_id": visit.client_id, "status": status, "visit_id": visit.id, "state": visit.state,
            "conflict": visit.conflict, "measures": visit.measures}


def _was_assigned(task: GasTask, inspector: User) -> bool:
    """The task was this inspector's before it moved (reassigned, or taken over after no-shows): their visit for it
    is then a conflict to keep, not a stranger's visit to refuse."""
    from api.events.models import Event

    return Session.scalar(sa.select(sa.func.count()).select_from(Event).where(
        Event.subject_type == "gas_task", Event.subject_id == task.id,
        sa.or_(Event.actor_id == inspector.id, Event.payload["from_inspector"].as_integer() == inspector.id))) > 0


def _check_time(task: GasTask, body: dict) -> None:
    if body["started_at"] < task.created_at - BEFORE_TASK_ALLOWANCE:
        raise VisitRejected("GAS_VISIT_BEFORE_TASK", "The visit is dated long before its task was planned: check the "
                            "phone's clock and date.", {"started_at": body["started_at"].isoformat(),
                                                        "task_planned_at": task.created_at.isoformat()})


def _check_in(body: dict, checkin: tuple[float, float], point: tuple[float, float] | None) -> float | None:
    """Metres from the gas user's point, both in WGS-84 (None when the register has no point)."""
    if point is None:
        return None
    distance = tour.metres(checkin, point)
    tolerance = get_config().GAS_CHECKIN_TOLERANCE_M
    if distance > tolerance and not body.get("override_reason"):
        raise VisitRejected("GAS_CHECKIN_TOO_FAR", "The check-in is too far from the premises; give a reason to "
                            "override it (the gas supervisor is told).",
                            {"distance_m": round(distance), "tolerance_m": tolerance})
    return round(distance, 1)


def _photos(inspector: User, body: dict) -> dict[str, int]:
    named = {i["photo_id"] for i in body["items"] if i.get("photo_id")}
    if body.get("signature_photo_id"):
        named.add(body["signature_photo_id"])
    if not named:
        return {}
    found = dict(Session.execute(sa.select(GasPhoto.client_id, GasPhoto.media_id).where(
        GasPhoto.client_id.in_(named), GasPhoto.inspector_id == inspector.id)).all())
    missing = sorted(named - set(found))
    if missing:
        raise VisitRejected("GAS_PHOTO_NOT_UPLOADED", "A photo the visit names has not been uploaded by you yet: "
                            "upload it, then send the visit again.", {"photo_ids": missing})
    return found


def _checklist(body: dict, task: GasTask, user: GasUser) -> dict[str, str]:
    try:
        items = checklist.load(body["checklist_version"])
    except LookupError:
        raise VisitRejected("GAS_CHECKLIST_UNKNOWN", "No checklist of that version.") from None
    results = {}
    for answer in body["items"]:
        item = items.get(answer["code"])
        if item is None:
            raise VisitRejected("GAS_ITEM_UNKNOWN", "An item is not in that checklist version.",
                                {"code": answer["code"]})
        if answer["code"] in results:
            raise VisitRejected("GAS_ITEM_TWICE", "An item is answered twice.", {"code": answer["code"]})
        if answer["result"] == "fail" and not answer.get("photo_id"):
            raise VisitRejected("GAS_FAIL_NEEDS_PHOTO", "A failed item needs its photo.", {"code": answer["code"]})
        if answer["result"] != "na" and not item.applies(user.user_type, user.supply):
            raise VisitRejected("GAS_ITEM_NOT_APPLICABLE", "The item does not apply to this gas user.",
                                {"code": answer["code"]})
        results[answer["code"]] = answer["result"]
    outcome = body["outcome"]
    if outcome in ("passed", "hazards"):
        if task.kind == "reinspection":
            wanted = [Session.get(GasHazard, task.hazard_id).item_code]
        else:
            wanted = [i.code for i in items.values() if i.mandatory and i.applies(user.user_type, user.supply)]
        unanswered = [code for code in wanted if code not in results]
        if unanswered:
            raise VisitRejected("GAS_ITEMS_UNANSWERED", "Mandatory items are not answered.", {"codes": unanswered})
        failed = [code for code, result in results.items() if result == "fail"]
        if (outcome == "passed") == bool(failed):
            raise VisitRejected("GAS_OUTCOME_MISMATCH", "`passed` has no failed item; `hazards` has at least one.")
    return results


def _conflict(task: GasTask, inspector: User, body: dict) -> str | None:
    if task.inspector_id != inspector.id or task.version != body["task_version"]:
        return f"任务已改派（版本{task.version}，记录时为{body['task_version']}）"
    if task.status in ("done", "refused", "cancelled") and not (
            body["outcome"] == "nobody_home" and task.done_at and body["finished_at"] <= task.done_at):
        return f"任务已结束（{task.status}）"
    if task.status == "taken_over":
        return "任务已由安检主管接管"
    return None


def _history(task: GasTask, visit: GasVisit) -> bool:
    """A no-show that happened before the task was completed, arriving after: kept, changes nothing."""
    return task.status != "assigned" and visit.outcome == "nobody_home"


def _apply(task: GasTask, user: GasUser, visit: GasVisit, results: dict[str, str], actor: Actor) -> None:
    day = timefmt.local(visit.finished_at).date()
    before = task.status
    if visit.outcome == "nobody_home":
        task.misses += 1
        if task.misses >= get_config().GAS_MAX_MISSES:
            task.status, task.inspector_id = "taken_over", None
            inbox.notify(supervisors(user.street_code), "gas_no_show", "gas_task", task.id,
                         f"安检{task.misses}次到访不遇，请安检主管接管：用户{user.number}", flagged=True)
        record("gas_task", task.id, "gas_nobody_home", actor, from_state=before, to_state=task.status,
               payload={"misses": task.misses, "visit_id": visit.id})
        return
    task.status, task.done_at = ("refused" if visit.outcome == "refused" else "done"), visit.finished_at
    record("gas_task", task.id, "gas_task_" + task.status, actor, from_state=before, to_state=task.status,
           payload={"visit_id": visit.id, "outcome": visit.outcome})
    if visit.outcome == "refused":
        inbox.notify(supervisors(user.street_code), "gas_refused", "gas_task", task.id,
                     f"用户拒绝入户安检：{user.number}", flagged=True)
        return
    if task.kind == "reinspection":
        hazards.reinspected(task, visit, results, day)
        return
    users.inspected(user, day)
    failed = [code for code, result in results.items() if result == "fail"]
    if failed:
        hazards.open_hazards(visit, user, failed, visit.checklist_version, day, visit.finished_at)

