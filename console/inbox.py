"""The staff inbox (the notices api/notifications/inbox.py keeps): a list, read one or all; the unread badge on
every page comes from the context processor below (one count query per page)."""

from __future__ import annotations

import marshmallow as ma
from flask import redirect, render_template, request, url_for
from flask_login import current_user

from api.db import Session, unit_of_work
from api.notifications import inbox
from api.notifications.models import StaffNotice
from api.paging import PageArgs
from console import bp
from console.auth import own_unit_of_work, signed_in, staff
from console.pages import load

PAGE_SIZE = 30


@bp.app_context_processor
def _unread() -> dict:
    if request.blueprint != "console" or not current_user or not current_user.is_authenticated:
        return {}
    return {"unread": inbox.unread_count(current_user.user.id)}


@bp.route("/inbox")
@signed_in
def inbox_page():
    try:
        page = load(PageArgs(), {"page": request.args.get("page", "1")})["page"]
    except ma.ValidationError:
        page = 1  # a page that does not exist: the first
    unread_only = request.args.get("unread") == "1"
    items, total, _ = inbox.list_for(staff().id, unread_only, page, PAGE_SIZE)
    return render_template("console/inbox.html", items=items, total=total, page=page, unread_only=unread_only,
                           more=total > page * PAGE_SIZE)


@bp.route("/inbox/<int:notice_id>/read", methods=["POST"])
@own_unit_of_work
@signed_in
def read_notice(notice_id: int):
    """Read one notice and go where it points (its case), or back to the inbox."""
    with unit_of_work():
        inbox.mark_read(staff().id, notice_id)  # another person's notice: 404 NOTICE_NOT_FOUND, as in the API
    notice = Session.get(StaffNotice, notice_id)
    if notice.subject_type == "case":
        return redirect(url_for("console.case_page", case_id=notice.subject_id))
    return redirect(url_for("console.inbox_page"))


@bp.route("/inbox/read-all", methods=["POST"])
@own_unit_of_work
@signed_in
def read_all():
    with unit_of_work():
        inbox.mark_read(staff().id)
    return redirect(url_for("console.inbox_page"))
