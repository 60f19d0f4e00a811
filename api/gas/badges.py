"""Inspectors' badges: one per active gas inspector, issued on first use and again once expired, with the photo the
gas supervisor of the inspector's street uploaded; checked by anyone who scans its QR.

The QR carries `<inspector id>.<issued YYYYMMDD>.<signature>` (HMAC under a key derived from SECRET_KEY for this
purpose). The check answers, without a login, whether the badge is genuine and says its status plainly: `valid`,
`expired` (GAS_BADGE_VALID_DAYS after it was issued), `revoked` (its holder is no longer an active gas inspector,
or a newer badge replaced it) or `forged` — with the name, the photo and the employer. With a citizen's token the
answer also says whether a visit by this inspector is planned today at premises the citizen bound, and says plainly
when it is not: the fake-inspector scam's pattern (shared/reference/gas-and-fees.md §E). Periodic inspection is
free: every answer says so. Scanned by a phone (Accept: text/html) the check is a small Chinese page
(api/gas/badge_page.py); API callers get JSON.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from api import timefmt
from api.config import get_config
from api.db import Session, utcnow
from api.events.service import Actor, record
from api.gas import errors
from api.gas.models import GasBadge, GasBinding, GasTask
from api.i18n import current_locale, gettext
from api.identity.models import User
from api.media import images
from api.media import service as media
from api.media.models import Media, MediaKind
from api.roles import Role

PURPOSE = "gas-badge-2"  # the badge signature's purpose (api.config.Config.signature)
LEGACY = "gas-badge"  # the first badges' QR (`<inspector id>.<signature>`, no issue day): answered as replaced
PHOTO_SIDE = 640  # a badge photo is stored no larger than this on its longest side
# ASCII digits only (str.isdigit() also takes '²'); 18 digits stay below 2**63, the ids' range
_PAYLOAD = re.compile(r"([0-9]{1,18})(?:\.([0-9]{8}))?\.([0-9a-f]{32})")
def _advice(text: str) -> str:
    """What the person at the door is told, in the request's language (Chinese unless asked otherwise), always
    ending with the fake-inspector scam's tell: periodic inspection is free."""
    free = gettext("Periodic inspection is free: inspectors charge nothing and sell nothing. If in doubt, call the "
                   "gas company's service line or 110.")
    return text + ("" if current_locale() == "zh" else " ") + free  # Chinese sentences run on without a space


@dataclass(frozen=True)
class Check:
    answer: dict
    photo: Media | None = None


def is_inspector(user: User | None) -> bool:
    return user is not None and user.is_active and Role.GAS_INSPECTOR in user.roles


def valid_until(issued_on: date) -> date:
    return issued_on + timedelta(days=get_config().GAS_BADGE_VALID_DAYS - 1)


def current(inspector: User, today: date) -> GasBadge:
    """The inspector's badge: issued on first use, issued again (today) once expired — the old QR stops working."""
    badge = Session.get(GasBadge, inspector.id, with_for_update=True)
    if badge is None:
        badge = GasBadge(inspector_id=inspector.id, issued_on=today)
        Session.add(badge)
        record("gas_badge", inspector.id, "gas_badge_issued", Actor("staff", inspector.id),
               payload={"issued_on": today.isoformat()})
    elif today > valid_until(badge.issued_on):
        before, badge.issued_on = badge.issued_on, today
        record("gas_badge", inspector.id, "gas_badge_renewed", Actor("staff", inspector.id),
               payload={"from": before.isoformat(), "issued_on": today.isoformat()})
    Session.flush()
    return badge


def payload(badge: GasBadge) -> str:
    text = f"{badge.inspector_id}.{badge.issued_on:%Y%m%d}"
    return f"{text}.{get_config().signature(PURPOSE, text)}"


def verify_url(badge: GasBadge) -> str:
    return f"{get_config().PUBLIC_BASE_URL.rstrip('/')}/gas/badges/verify?p={payload(badge)}"


def view(badge: GasBadge, base_url: str) -> dict:
    photo = Session.get(Media, badge.photo_media_id) if badge.photo_media_id else None
    return {"inspector_id": badge.inspector_id, "payload": payload(badge), "verify_url": verify_url(badge),
            "issued_on": badge.issued_on, "valid_until": valid_until(badge.issued_on),
            "photo_url": media.links(photo, base_url)["display"] if photo else None}


def set_photo(supervisor: User, inspector_id: int, raw: bytes) -> GasBadge:
    """The gas supervisor of the inspector's street (or a district-wide one) uploads the badge's photo; the badge
    is issued if it was not. Stored reduced to PHOTO_SIDE: a badge check shows it, nothing larger is needed."""
    inspector = Session.get(User, inspector_id)
    if not is_inspector(inspector) or supervisor.scope_division_code not in (None, inspector.scope_division_code):
        raise errors.BadgeHolderNotFound()
    config = get_config()
    photo = images.process_upload(raw, max_bytes=config.PHOTO_MAX_BYTES, max_pixels=config.PHOTO_MAX_PIXELS,
                                  preview=False)  # staff's own upload: no content-security check
    small = images.make_derivatives(photo.data, (PHOTO_SIDE,))[0]
    photo = images.process_upload(small, max_bytes=config.PHOTO_MAX_BYTES, max_pixels=config.PHOTO_MAX_PIXELS,
                                  preview=False)
    item = media.store_photo(photo, kind=MediaKind.GAS_PHOTO, owner_type="gas_badge", owner_id=inspector.id,
                             uploaded_by=supervisor.id)
    badge = current(inspector, timefmt.today())
    badge.photo_media_id, badge.photo_by, badge.photo_at = item.id, supervisor.id, utcnow()
    record("gas_badge", inspector.id, "gas_badge_photo_set", Actor("staff", supervisor.id),
           payload={"media_id": item.id})
    Session.flush()
    return badge


def _parse(text: str) -> tuple[int, date | None] | None:
    """(inspector id, issue day — None for a first-generation badge) of a genuine payload; None for any other."""
    match = _PAYLOAD.fullmatch(text)
    if match is None:
        return None
    head, day, signature = match.groups()
    signed = f"{head}.{day}" if day else head
    if not get_config().signature_holds(PURPOSE if day else LEGACY, signed, signature):
        return None
    if day is None:
        return int(head), None
    try:
        return int(head), date(int(day[:4]), int(day[4:6]), int(day[6:]))
    except ValueError:
        return None


def _status(inspector: User | None, badge: GasBadge | None, issued: date | None, today: date) -> tuple[str, str]:
    if not is_inspector(inspector):
        return "revoked", gettext("This badge has been withdrawn: its holder is no longer an active gas inspector. "
                                  "Do not open the door.")
    if issued is not None and today > valid_until(issued):
        end = valid_until(issued)
        on = gettext("%(year)d-%(month)02d-%(day)02d", year=end.year, month=end.month, day=end.day)
        return "expired", gettext("This badge expired on %(date)s: do not open the door; ask the inspector for a "
                                  "valid badge.", date=on)
    if issued is None or badge is None or badge.issued_on != issued:
        return "revoked", gettext("This badge has been replaced by a newer one: ask the inspector for the latest "
                                  "badge in the mini-program, and do not open the door until it checks out.")
    return "valid", ""


def check(text: str, citizen: User | None) -> Check:
    parsed = _parse(text)
    if parsed is None:
        return Check({"genuine": False, "valid": False, "status": "forged",
                      "advice": _advice(gettext("This is not an inspector's badge issued by this system: do "
                                                "not open the door."))})
    inspector_id, issued = parsed
    inspector, badge = Session.get(User, inspector_id), Session.get(GasBadge, inspector_id)
    today = timefmt.today()
    status, advice = _status(inspector, badge, issued, today)
    photo = Session.get(Media, badge.photo_media_id) if badge is not None and badge.photo_media_id else None
    answer = {"genuine": True, "valid": status == "valid", "status": status,
              "name": inspector.display_name if inspector else "", "employer": get_config().GAS_EMPLOYER,
              "issued_on": issued, "valid_until": valid_until(issued) if issued else None}
    if status != "valid":
        answer["advice"] = _advice(advice)
    elif citizen is not None:
        booked = Session.scalar(sa.select(sa.func.count()).select_from(GasTask)
                                .join(GasBinding, GasBinding.gas_user_id == GasTask.gas_user_id)
                                .where(GasBinding.user_id == citizen.id, GasTask.inspector_id == inspector.id,
                                       GasTask.status == "assigned", GasTask.due_on <= today)) > 0
        answer["visit_booked_today"] = booked
        answer["advice"] = _advice(gettext("This inspector has an inspection at your home today.") if booked else
                                   gettext("This inspector has no inspection at the addresses you have bound "
                                           "today: check before opening the door."))
    else:
        answer["advice"] = _advice(gettext("The badge is valid. Log in to the mini-program and bind your gas "
                                           "account, then scan again to see whether this inspector is visiting "
                                           "your home today."))
    return Check(answer, photo)


def answer(result: Check, base_url: str) -> dict:
    """The check for API callers: the answer with a signed, expiring link to the photo."""
    link = media.links(result.photo, base_url)["display"] if result.photo is not None else None
    return {**result.answer, "photo_url": link} if result.answer["genuine"] else result.answer
