"""The staff inbox: notices commit with their cause, unread counts, marking read, only one's own."""

from api.notifications import inbox
from tests.factories.identity import StaffFactory
from tests.support import citizen_login, staff_token


def test_inbox_counts_and_marks(client, db_session):
    handler, other = StaffFactory(roles=("dept_handler",)), StaffFactory(roles=("dept_handler",))
    inbox.notify([handler.id, handler.id, other.id], "new_work", "case", 7, "新工单：暴露垃圾")
    inbox.notify([handler.id], "escalated", "case", 8, "督办：案件已超期")
    db_session.commit()
    me = staff_token(handler)
    assert client.get("/me/inbox/unread-count", headers=me).json == {"unread": 2}
    page = client.get("/me/inbox", headers=me).json
    assert [n["kind"] for n in page["items"]] == ["escalated", "new_work"] and page["unread"] == 2
    first = page["items"][1]["id"]
    assert client.post(f"/me/inbox/{first}/read", headers=me).json == {"marked": 1}
    assert client.post(f"/me/inbox/{first}/read", headers=me).json == {"marked": 0}
    assert client.get("/me/inbox?unread=true", headers=me).json["total"] == 1
    others = staff_token(other)
    assert client.post(f"/me/inbox/{first}/read", headers=others).json["error"]["code"] == "NOTICE_NOT_FOUND"
    assert client.post("/me/inbox/read-all", headers=me).json == {"marked": 1}
    assert client.get("/me/inbox/unread-count", headers=others).json == {"unread": 1}


def test_notices_vanish_with_a_rolled_back_change(db_session):
    handler = StaffFactory(roles=("dept_handler",))
    inbox.notify([handler.id], "new_work", "case", 1, "x")
    db_session.rollback()
    assert inbox.unread_count(handler.id) == 0


def test_citizens_have_no_inbox(client, wechat, db_session):
    alice = citizen_login(client, wechat, "o-inbox")
    assert client.get("/me/inbox", headers=alice).status_code == 403
