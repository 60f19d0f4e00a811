"""The console's pages with Flask's test client: sign-in and its protections, each role's desk, scope, the buttons
a case page shows, actions through forms, and hostile input answered on the page."""

import io

import pytest

from api.cases import actions, queries
from api.cases.models import Case
from api.db import Session
from api.extensions import get_redis
from api.identity.models import User
from api.organisation import queries as organisation
from tests.api.cases.conftest import new_case, to_check
from tests.console.conftest import PASSWORD, csrf_of, post, sign_in, text
from tests.factories.identity import StaffFactory
from tests.support import jpeg


def test_the_sign_in_page_is_chinese_and_guarded(client):
    page = client.get("/console/sign-in")
    assert page.status_code == 200
    assert "工作人员登录" in text(page) and 'lang="zh-CN"' in text(page)
    assert page.headers["Content-Language"] == "zh-Hans"
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["Cache-Control"] == "no-store"
    assert "English" not in text(page) and "Staff sign-in" in text(client.get("/console/sign-in",
                                                                              headers={"Accept-Language": "en"}))


def test_pages_need_a_session(client):
    answer = client.get("/console/desks/intake")
    assert answer.status_code == 302 and "/console/sign-in" in answer.headers["Location"]
    assert "next=" in answer.headers["Location"]
    htmx = client.get("/console/desks/intake", headers={"HX-Request": "true"})
    assert htmx.status_code == 204 and htmx.headers["HX-Redirect"] == "/console/sign-in"


def test_wrong_password_is_refused_in_chinese_then_locked(app, world):
    client = app.test_client()
    clerk = world["staff"]["clerk"]
    for _ in range(5):
        answer = client.post("/console/sign-in", data={"username": clerk.username, "password": "nope",
                                                       "csrf_token": csrf_of(client.get("/console/sign-in"))})
        assert answer.status_code == 401 and "用户名或密码错误" in text(answer)
    locked = client.post("/console/sign-in", data={"username": clerk.username, "password": PASSWORD,
                                                   "csrf_token": csrf_of(client.get("/console/sign-in"))})
    assert locked.status_code == 429  # the same lock-out as POST /auth/staff-login: the right password too


def test_citizens_and_blank_forms_cannot_sign_in(app, world):
    client = app.test_client()
    token = csrf_of(client.get("/console/sign-in"))
    blank = client.post("/console/sign-in", data={"username": "", "password": "", "csrf_token": token})
    assert blank.status_code == 400 and "请输入用户名和密码" in text(blank)
    no_token = client.post("/console/sign-in", data={"username": "clerk", "password": PASSWORD})
    assert no_token.status_code == 400 and "表单已过期" in text(no_token)


def test_the_session_cookie_and_its_end(app, world):
    clerk = world["staff"]["clerk"]
    client = app.test_client()
    answer = client.post("/console/sign-in", data={"username": clerk.username, "password": PASSWORD,
                                                   "csrf_token": csrf_of(client.get("/console/sign-in"))})
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/console" in cookie
    keys = get_redis().keys("console:session:*")
    assert len(keys) == 1 and 0 < get_redis().ttl(keys[0]) <= app.config["CONSOLE_IDLE_S"]
    assert client.get("/console/desks/intake").status_code == 200
    get_redis().delete(*keys)  # what an idle timeout does: the key expires
    assert client.get("/console/desks/intake").status_code == 302


def test_sign_out_ends_the_session_everywhere(app, world):
    client = sign_in(app, world["staff"]["clerk"])
    stolen = client.get_cookie("suiyun_console", path="/console")
    assert post(client, "/console/sign-out").status_code == 302
    assert get_redis().keys("console:session:*") == []
    thief = app.test_client()
    thief.set_cookie(stolen.key, stolen.value, path="/console")
    assert thief.get("/console/desks/intake").status_code == 302


def test_a_disabled_account_is_signed_out(app, world, db_session):
    client = sign_in(app, world["staff"]["clerk"])
    db_session.get(User, world["staff"]["clerk"].id).is_active = False
    db_session.commit()
    assert client.get("/console/desks/intake").status_code == 302


@pytest.mark.parametrize(("who", "desk"), [("clerk", "intake"), ("dispatcher", "dispatch"), ("handler", "mine"),
                                           ("head", "department"), ("supervisor", "verification")])
def test_each_role_lands_on_its_desk(consoles, who, desk):
    answer = consoles[who].get("/console/")
    assert answer.status_code == 302 and answer.headers["Location"] == f"/console/desks/{desk}"
    assert consoles[who].get(answer.headers["Location"]).status_code == 200


def test_a_desk_of_another_role_is_not_there(consoles):
    assert consoles["handler"].get("/console/desks/intake").status_code == 404
    assert "没有这个页面" in text(consoles["handler"].get("/console/desks/intake"))


def test_the_intake_desk_lists_the_report_with_its_photo(client, world, consoles):
    _, case_id = new_case(client, world["t"])
    case = Session.get(Case, case_id)
    page = text(consoles["clerk"].get("/console/desks/intake"))
    assert case.case_no in page and "/media/" in page and "市民上报" in page
    assert case.case_no not in text(consoles["supervisor"].get("/console/desks/verification"))


def test_a_street_clerk_never_sees_another_streets_case(app, client, world, db_session):
    _, case_id = new_case(client, world["t"])
    case = Session.get(Case, case_id)
    other = next(s.code for s in organisation.streets() if s.code != case.street_code)
    clerk = StaffFactory(roles=("intake_clerk",), scope_division_code=other)
    db_session.commit()
    console = sign_in(app, clerk)
    assert case.case_no not in text(console.get("/console/desks/intake"))
    guessed = console.get(f"/console/cases/{case_id}")
    assert guessed.status_code == 403 and "管辖范围" in text(guessed)
    refused = post(console, f"/console/cases/{case_id}/accept", {})
    assert refused.status_code == 403 and Session.get(Case, case_id).status == "pending"


def test_filters_are_checked_on_the_page(client, world, consoles):
    new_case(client, world["t"])
    answer = consoles["clerk"].get("/console/desks/intake?case_no=<script>&priority=x")
    assert answer.status_code == 400 and "<script>" not in text(answer)
    assert consoles["clerk"].get("/console/cases/99999999999999999999").status_code == 404


def _buttons(page: str) -> set[str]:
    return {name for name in actions.BY_NAME if f"/{name}\" class=\"action action-{name}\"" in page
            or f'action-{name}"' in page}


@pytest.mark.parametrize("who", ["clerk", "dispatcher", "handler", "head", "supervisor", "command"])
def test_the_buttons_are_what_the_rules_allow(client, world, consoles, who):
    _, pending = new_case(client, world["t"])
    _, checking = to_check(client, world["t"], hint="exposed_garbage")
    for case_id in (pending, checking):
        user, case = world["staff"][who], Session.get(Case, case_id)
        page = consoles[who].get(f"/console/cases/{case_id}")
        if page.status_code == 403:  # outside the person's scope: nothing to show
            continue
        assert _buttons(text(page)) == {a.name for a in actions.available(user, case)}


def test_a_pending_case_offers_the_intake_clerk_their_actions_only(client, world, consoles):
    _, case_id = new_case(client, world["t"])
    clerk_page = text(consoles["clerk"].get(f"/console/cases/{case_id}"))
    assert {"accept", "refuse", "merge", "request-verification"} <= _buttons(clerk_page)
    assert "dispatch" not in _buttons(clerk_page)
    assert _buttons(text(consoles["dispatcher"].get(f"/console/cases/{case_id}"))) == {"category", "priority",
                                                                                      "component", "defer"}
    assert consoles["handler"].get(f"/console/cases/{case_id}").status_code == 403  # not the department's yet


def test_a_refused_action_is_told_on_the_page_and_changes_nothing(client, world, consoles):
    _, case_id = new_case(client, world["t"])
    blank = post(consoles["clerk"], f"/console/cases/{case_id}/refuse", {"reason": "  "})
    assert blank.status_code == 400 and "reason" in text(blank)
    wrong_role = post(consoles["dispatcher"], f"/console/cases/{case_id}/dispatch", {})
    assert wrong_role.status_code in (403, 409) and "class=\"flash error\"" in text(wrong_role)
    hostile = post(consoles["clerk"], f"/console/cases/{case_id}/merge", {"into_case_id": "1; DROP TABLE cases"})
    assert hostile.status_code == 400
    assert post(consoles["clerk"], f"/console/cases/{case_id}/no-such-thing", {}).status_code == 404
    assert Session.get(Case, case_id).status == "pending"


def test_carrying_a_case_to_closure_through_the_console(client, world, consoles):
    report_id, case_id = new_case(client, world["t"])
    assert post(consoles["clerk"], f"/console/cases/{case_id}/accept",
                {"note": "现场核对", "citizen_remark": "已受理"}).status_code == 302
    assert post(consoles["dispatcher"], f"/console/cases/{case_id}/dispatch", {}).status_code == 302
    assert post(consoles["handler"], f"/console/cases/{case_id}/receive", {}).status_code == 302
    photos = [(io.BytesIO(jpeg(color=(9, 9, 200))), "a.jpg"), (io.BytesIO(jpeg(color=(9, 200, 9))), "b.jpg")]
    uploaded = post(consoles["handler"], f"/console/cases/{case_id}/photos", {"kind": "after_photo", "photo": photos},
                    content_type="multipart/form-data")
    assert uploaded.status_code == 302
    result = post(consoles["handler"], f"/console/cases/{case_id}/result", {"result_text": "已清运完毕"})
    assert result.status_code == 302
    assert post(consoles["supervisor"], f"/console/cases/{case_id}/check", {"passed": "true"}).status_code == 302
    assert Session.get(Case, case_id).status == "closed"
    timeline = client.get(f"/reports/{report_id}", headers=world["t"]["alice"]).json["timeline"]
    steps = [e["action"] for e in timeline]
    assert steps == ["created", "submit", "accept", "dispatch", "check_pass"], steps  # what citizens are shown
    assert timeline[2]["remark"] == "已受理" and "现场核对" not in str(timeline)  # internal notes stay inside
    page = text(consoles["supervisor"].get(f"/console/cases/{case_id}"))
    assert "第 1 轮处置" in page and page.count('alt="处置后 #') == 2 and "内部备注： 现场核对" in page


def test_one_bad_photo_keeps_the_others_out(client, world, consoles):
    _, case_id = new_case(client, world["t"])
    post(consoles["clerk"], f"/console/cases/{case_id}/accept", {})
    post(consoles["dispatcher"], f"/console/cases/{case_id}/dispatch", {})
    photos = [(io.BytesIO(jpeg()), "good.jpg"), (io.BytesIO(b"not an image at all"), "bad.jpg")]
    answer = post(consoles["handler"], f"/console/cases/{case_id}/photos", {"kind": "after_photo", "photo": photos},
                  content_type="multipart/form-data")
    assert answer.status_code in (400, 415, 422) and "bad.jpg" in text(answer)
    assert queries.get_for_staff(world["staff"]["handler"], case_id).result_round == 0
    assert "good.jpg" not in text(answer)


# a valid body for each action (validation answers before any rule: these reach the rule)
BODIES = {"refuse": {"reason": "不属实情况"}, "merge": {"into_case_id": 1}, "unmerge": {"reason": "误合并了"},
          "verification": {"confirmed": True}, "category": {"category_code": "event:01-01"},
          "component": {"component_code": "4401110000000001"}, "priority": {"priority": "urgent", "reason": "情况紧急"},
          "return": {"reason_code": "other", "reason": "不属本部门"}, "result": {"result_text": "已处理完毕"},
          "check": {"passed": True}, "reject-close": {"reason": "再核查一次"}, "defer": {"reason": "暂缓处理"},
          "extension-request": {"until": "2027-01-04T10:00:00+08:00", "reason": "需要更多时间"},
          "extend": {"until": "2027-01-04T10:00:00+08:00", "reason": "同意延期"}}


@pytest.mark.parametrize("who", ["clerk", "dispatcher", "handler", "head", "supervisor", "command"])
def test_an_action_whose_button_is_hidden_is_refused_by_the_api(client, world, who):
    """The other half of one rule: every action the page would not show, the API refuses and changes nothing."""
    _, pending = new_case(client, world["t"])
    _, checking = to_check(client, world["t"])
    user = world["staff"][who]
    for case_id in (pending, checking):
        case = Session.get(Case, case_id)
        status = case.status
        shown = set() if case.department_id != user.scope_department_id and user.scope_department_id \
            else {a.name for a in actions.available(user, case)}
        for action in actions.ACTIONS:
            if action.name in shown:
                continue
            answer = client.post(f"/cases/{case_id}/{action.name}", json=BODIES.get(action.name, {}),
                                 headers=world["t"][who])
            assert answer.status_code in (403, 409), (who, action.name, answer.json)
            assert Session.get(Case, case_id).status == status


def _dispatched(client, world, consoles) -> int:
    _, case_id = new_case(client, world["t"])
    post(consoles["clerk"], f"/console/cases/{case_id}/accept", {})
    post(consoles["dispatcher"], f"/console/cases/{case_id}/dispatch", {})
    return case_id


def test_an_extension_asked_through_the_form_is_read_as_shanghai_time(client, world, consoles):
    from datetime import datetime, timedelta

    from api.events.service import history
    from api.timefmt import SHANGHAI

    case_id = _dispatched(client, world, consoles)
    local = (datetime.now(SHANGHAI) + timedelta(days=5)).replace(hour=18, minute=0, second=0, microsecond=0)
    asked = post(consoles["handler"], f"/console/cases/{case_id}/extension-request",
                 {"until": local.strftime("%Y-%m-%dT%H:%M"), "reason": "需采购配件"})
    assert asked.status_code == 302
    assert history("case", case_id, ("extension_requested",))[-1].payload["until"] == local.isoformat()
    desk = text(consoles["dispatcher"].get("/console/desks/dispatch"))
    assert "延期申请" in desk and local.strftime("%Y-%m-%d 18:00") in desk
    too_late = post(consoles["handler"], f"/console/cases/{case_id}/extension-request",
                    {"until": "0001-01-01T00:00", "reason": "时间越界"})
    assert too_late.status_code == 400 and "一年" in text(too_late)


def test_a_failed_form_is_filled_again_and_no_other(client, world, consoles):
    case_id = _dispatched(client, world, consoles)
    failed = post(consoles["dispatcher"], f"/console/cases/{case_id}/defer", {"_form": "defer", "reason": "x"})
    assert failed.status_code == 400
    page = text(failed)
    assert page.count('name="reason" value="x"') == 1 and 'id="defer-reason" name="reason" value="x"' in page


def test_the_desks_refresh_does_not_keep_a_session_alive(app, world):
    client = sign_in(app, world["staff"]["clerk"])
    key = get_redis().keys("console:session:*")[0]
    get_redis().expire(key, 100)
    assert client.get("/console/desks/intake", headers={"HX-Request": "true", "X-Console-Poll": "1"}).status_code == 200
    assert get_redis().ttl(key) <= 100
    client.get("/console/desks/intake")
    assert get_redis().ttl(key) > 100


def test_several_photos_at_once_may_exceed_one_photos_limit(app, client, world, consoles, monkeypatch):
    case_id = _dispatched(client, world, consoles)
    post(consoles["handler"], f"/console/cases/{case_id}/receive", {})
    photo = jpeg(1280, 960)
    # the app's body limit is one photo and the framing: here a photo of four fits, four do not
    monkeypatch.setitem(app.config, "PHOTO_MAX_BYTES", len(photo) * 2)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", len(photo) * 2 + 64 * 1024)
    photos = [(io.BytesIO(photo), f"{n}.jpg") for n in range(4)]
    assert len(photo) * 4 > app.config["MAX_CONTENT_LENGTH"]
    answer = post(consoles["handler"], f"/console/cases/{case_id}/photos", {"kind": "after_photo", "photo": photos},
                  content_type="multipart/form-data")
    assert answer.status_code == 302, text(answer)[:500]
