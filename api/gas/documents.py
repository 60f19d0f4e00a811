"""The visit record and the rectification notice as PDFs (rendered by invoices/ on request: byte-stable, so the
same visit gives the same file until the inspector's badge, whose check its QR opens, is renewed), for whoever may
see them: the inspector who made the visit, the gas supervisors of its street, and citizens who bound the gas user.

Numbers: a visit record is `JL<Beijing date of the visit>-<visit id, 8 digits>` (JL20261201-00000012), a notice
`ZG<hazard id, 8 digits>`; neither is shaped like a case number (AJ…), which the notice prints beside its own.
"""

from __future__ import annotations

import sqlalchemy as sa

from api import timefmt
from api.cases.models import Case
from api.config import get_config
from api.db import Session
from api.gas import badges, checklist, errors
from api.gas.models import MEASURE_NAMES, GasBinding, GasHazard, GasUser, GasVisit, GasVisitItem
from api.identity.models import User
from api.media.models import Media
from api.media.storage import get_storage
from api.premises.models import Premises
from api.roles import Role
from invoices.documents import CheckedItem, HazardLine, RectificationNotice, VisitRecord
from invoices.inspection import render_rectification_notice, render_visit_record

RESULT_ZH = {"pass": "合格", "fail": "不合格", "na": "不适用"}
OUTCOME_ZH = {"passed": "合格", "hazards": "发现隐患", "refused": "拒绝入户", "nobody_home": "到访不遇"}
TYPE_ZH = {"residential": "居民", "non_residential": "非居民", "catering": "餐饮"}
SUPPLY_ZH = {"pipeline": "管道燃气", "lpg": "瓶装液化气"}


def _may_see(viewer: User, user: GasUser, inspector_id: int) -> bool:
    if Role.CITIZEN in viewer.roles:
        return Session.get(GasBinding, (user.id, viewer.id)) is not None
    if Role.GAS_SUPERVISOR in viewer.roles and viewer.scope_division_code in (None, user.street_code):
        return True
    return Role.GAS_INSPECTOR in viewer.roles and viewer.id == inspector_id


def _verify_url(inspector: User) -> str:
    return badges.verify_url(badges.current(inspector, timefmt.today()))


def record_number(visit: GasVisit) -> str:
    return f"JL{timefmt.local(visit.finished_at):%Y%m%d}-{visit.id:08d}"


def visit_record(viewer: User, visit_id: int) -> tuple[str, bytes]:
    visit = Session.get(GasVisit, visit_id)
    user = Session.get(GasUser, visit.gas_user_id) if visit else None
    if visit is None or visit.state != "applied" or not _may_see(viewer, user, visit.inspector_id):
        raise errors.DocumentNotFound()
    place, inspector = Session.get(Premises, user.premises_id), Session.get(User, visit.inspector_id)
    items = checklist.load(visit.checklist_version)
    answers = Session.scalars(sa.select(GasVisitItem).where(GasVisitItem.visit_id == visit.id)
                              .order_by(GasVisitItem.item_code))
    order = list(items)
    checked = sorted(answers, key=lambda a: order.index(a.item_code) if a.item_code in order else len(order))
    hazards = Session.scalars(sa.select(GasHazard).where(GasHazard.visit_id == visit.id).order_by(GasHazard.id))
    signature = None
    if visit.signature_media_id:
        media = Session.get(Media, visit.signature_media_id)
        signature = get_storage().get(media.key_for("display")) if media else None
    doc = VisitRecord(
        number=record_number(visit), gas_user=user.number, address=place.address,
        user_kind=f"{TYPE_ZH[user.user_type]}·{SUPPLY_ZH[user.supply]}", inspector=inspector.display_name,
        employer=get_config().GAS_EMPLOYER, started_at=visit.started_at, finished_at=visit.finished_at,
        outcome=OUTCOME_ZH[visit.outcome],
        items=tuple(CheckedItem(items[a.item_code].title, RESULT_ZH[a.result], a.note or "") for a in checked),
        hazards=tuple(HazardLine(checklist.LEVEL_NAMES[h.level], items[h.item_code].title, h.deadline_on.isoformat())
                      for h in hazards),
        verify_url=_verify_url(inspector), signature=signature, note=visit.note or "",
        measures="、".join(MEASURE_NAMES[m] for m in visit.measures or ()))
    return f"visit-{doc.number}", render_visit_record(doc)


def rectification_notice(viewer: User, hazard_id: int) -> tuple[str, bytes]:
    hazard = Session.get(GasHazard, hazard_id)
    visit = Session.get(GasVisit, hazard.visit_id) if hazard else None
    user = Session.get(GasUser, hazard.gas_user_id) if hazard else None
    if hazard is None or not _may_see(viewer, user, visit.inspector_id):
        raise errors.DocumentNotFound()
    place, inspector = Session.get(Premises, user.premises_id), Session.get(User, visit.inspector_id)
    item = checklist.load(visit.checklist_version)[hazard.item_code]
    case = Session.get(Case, hazard.case_id) if hazard.case_id else None
    doc = RectificationNotice(
        number=f"ZG{hazard.id:08d}", gas_user=user.number, address=place.address, contact=user.contact_name,
        hazard=HazardLine(checklist.LEVEL_NAMES[hazard.level], item.title, hazard.deadline_on.isoformat()),
        requirement=f"按规范消除“{item.title}”所述隐患；一级隐患须立即停止用气并整改。",
        found_at=hazard.found_at, inspector=inspector.display_name, employer=get_config().GAS_EMPLOYER,
        case_number=case.case_no if case else "—", verify_url=_verify_url(inspector))
    return f"notice-{doc.number}", render_rectification_notice(doc)
