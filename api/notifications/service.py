"""Record accepted templates, queue notifications, deliver one through WeChat with a visible outcome."""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from api import jobs
from api.config import get_config
from api.db import Session, utcnow
from api.events.service import Actor, record
from api.identity.models import User
from api.notifications import templates
from api.notifications.errors import UnknownTemplate
from api.notifications.models import Notification, NotificationStatus, Subscription
from api.outbox import service as outbox
from api.timefmt import wechat_time
from api.wechat import errors as wechat_errors
from api.wechat.client import get_client

log = logging.getLogger(__name__)

NO_QUOTA_ERRCODE = 43101


def known_templates() -> set[str]:
    config = get_config()
    return {config.TEMPLATE_REPORT_PROGRESS, config.TEMPLATE_BILL_REMINDER, config.TEMPLATE_GAS_VISIT}


def record_accepted(user_id: int, template_ids: list[str]) -> list[Subscription]:
    """The user tapped 'allow' in wx.requestSubscribeMessage: one more send per accepted template."""
    unknown = sorted(set(template_ids) - known_templates())
    if unknown:
        raise UnknownTemplate(details={"unknown": unknown})
    for template_id in template_ids:
        _add_quota(user_id, template_id)
    record("user", user_id, "subscriptions_accepted", Actor("citizen", user_id), payload={"templates": template_ids})
    Session.flush()
    return subscriptions_of(user_id)


def subscriptions_of(user_id: int) -> list[Subscription]:
    return list(Session.scalars(sa.select(Subscription).where(Subscription.user_id == user_id)
                                .order_by(Subscription.template_id)))


def queue_report_progress(*, user_id: int, report_id: int, report_no: str, title: str, status_label: str,
                          at: datetime, remark: str) -> Notification:
    """Add a progress notification (and its delivery job) to the current transaction."""
    return queue(user_id=user_id, template_id=get_config().TEMPLATE_REPORT_PROGRESS, subject=("report", report_id),
                 values=dict(zip(templates.REPORT_PROGRESS_KEYS,
                                 (report_no, title, status_label, wechat_time(at), remark), strict=True)),
                 page=f"pages/report/detail?id={report_id}")


def queue(*, user_id: int, template_id: str, subject: tuple[str, int], values: dict[str, str], page: str
          ) -> Notification:
    """Add a subscribe message (its values fitted to WeChat's rules) and its delivery job to the transaction."""
    notification = Notification(user_id=user_id, template_id=template_id, subject_type=subject[0],
                                subject_id=subject[1], data=templates.build(values), page=page)
    Session.add(notification)
    Session.flush()
    outbox.add(jobs.SEND_NOTIFICATION(notification.id))
    return notification


def list_for_user(user_id: int, limit: int = 50) -> list[Notification]:
    return list(Session.scalars(sa.select(Notification).where(Notification.user_id == user_id)
                                .order_by(Notification.id.desc()).limit(limit)))


FINAL = (NotificationStatus.SENT, NotificationStatus.NO_QUOTA, NotificationStatus.FAILED)


def reserve(notification_id: int) -> Notification | None:
    """First unit of work of a delivery: take one of the user's sends for this template (or end no_quota) and
    count the attempt. Committed before WeChat is called, so a crash mid-call never hands the send back twice."""
    n = Session.get(Notification, notification_id, with_for_update=True)
    if n is None or n.status in FINAL:
        return n
    if n.status == NotificationStatus.PENDING:
        if not _take_quota(n.user_id, n.template_id):
            return _finish(n, NotificationStatus.NO_QUOTA, None, "no remaining subscription for this template")
        n.status = NotificationStatus.SENDING
    n.attempts += 1
    return n


def send(notification_id: int) -> tuple[Notification | None, wechat_errors.WeChatError | None]:
    """Second unit of work: call WeChat and record the outcome. A retryable error comes back with the
    notification set pending again (its send handed back), for the job to raise once this is committed."""
    n = Session.get(Notification, notification_id, with_for_update=True)
    if n is None or n.status != NotificationStatus.SENDING:
        return n, None
    openid = Session.scalar(sa.select(User.openid).where(User.id == n.user_id))
    try:
        get_client().send_subscribe_message(openid, n.template_id, n.data, page=n.page,
                                            miniprogram_state=get_config().WECHAT_MINIPROGRAM_STATE)
    except wechat_errors.WeChatError as exc:
        return _handle_send_error(n, exc)
    return _finish(n, NotificationStatus.SENT, None, None), None


def give_up(notification_id: int, reason: str) -> None:
    """Retries ran out: the notification ends failed with the last reason (called by the job's on_failure)."""
    n = Session.get(Notification, notification_id, with_for_update=True)
    if n is not None and n.status not in (NotificationStatus.SENT, NotificationStatus.NO_QUOTA,
                                          NotificationStatus.FAILED):
        if n.status == NotificationStatus.SENDING:
            _add_quota(n.user_id, n.template_id)
        _finish(n, NotificationStatus.FAILED, n.errcode, reason or n.last_error)


def _handle_send_error(n: Notification, exc: wechat_errors.WeChatError
                       ) -> tuple[Notification, wechat_errors.WeChatError | None]:
    if exc.errcode == NO_QUOTA_ERRCODE:
        return _finish(n, NotificationStatus.NO_QUOTA, exc.errcode, exc.errmsg), None
    _add_quota(n.user_id, n.template_id)  # WeChat did not take the message: the quota is still the user's
    if exc.retryable:
        n.status, n.errcode, n.last_error = NotificationStatus.PENDING, exc.errcode, str(exc)
        return n, exc  # RQ retries with backoff; on_failure ends it as failed when retries run out
    return _finish(n, NotificationStatus.FAILED, exc.errcode, exc.errmsg), None


def _finish(n: Notification, status: NotificationStatus, errcode: int | None, error: str | None) -> Notification:
    record("notification", n.id, "delivery_finished", Actor.system(), from_state=n.status, to_state=status,
           reason=error, payload={"errcode": errcode} if errcode is not None else None)
    n.status, n.errcode, n.last_error, n.finished_at = status, errcode, error, utcnow()
    return n


def _take_quota(user_id: int, template_id: str) -> bool:
    result = Session.execute(sa.update(Subscription).where(
        Subscription.user_id == user_id, Subscription.template_id == template_id, Subscription.remaining > 0,
    ).values(remaining=Subscription.remaining - 1, updated_at=utcnow()))
    return result.rowcount == 1


def _add_quota(user_id: int, template_id: str) -> None:
    increment = sa.update(Subscription).where(
        Subscription.user_id == user_id, Subscription.template_id == template_id,
    ).values(remaining=Subscription.remaining + 1, updated_at=utcnow())
    if Session.execute(increment).rowcount:
        return
    try:
        with Session.begin_nested():
            Session.add(Subscription(user_id=user_id, template_id=template_id, remaining=1))
    except IntegrityError:
        Session.execute(increment)  # a concurrent first accept created the row
