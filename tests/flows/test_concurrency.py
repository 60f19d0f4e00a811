"""Concurrent requests: parallel uploads to one draft (PostgreSQL and the embedded SQLite default), parallel
ratings, an exhausted connection pool."""

import dataclasses
import io
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from api import create_app
from api.cases.models import Case, CaseReport, Rating
from api.db import Session, utcnow
from api.events.models import Event
from api.media.models import Media
from api.migrate import upgrade
from api.reports.models import Report
from tests.conftest import activate
from tests.support import BAIYUN_GCJ, citizen_login, jpeg

pytestmark = pytest.mark.flow
PARALLEL = 20


def _parallel(call, n=PARALLEL):
    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(lambda i: call(i), range(n)))


def _upload(client, headers, report_id, i):
    photo = jpeg(96, 64, color=(i * 10 % 255, 80, 80))
    response = client.post(f"/reports/{report_id}/photos", data={"photo": (io.BytesIO(photo), f"{i}.jpg")},
                           headers=headers, content_type="multipart/form-data")
    return response.status_code, response.json["error"]["code"] if response.status_code >= 400 else None


@pytest.fixture
def sqlite_app(tmp_path, config):
    url = f"sqlite:///{tmp_path / 'embedded.db'}"
    upgrade(url)
    app = create_app(dataclasses.replace(config, DATABASE_URL=url))
    yield app
    Session.remove()
    activate(config)


@pytest.fixture(params=["postgresql", "sqlite"])
def backend_app(request):
    """The app on PostgreSQL (real commits, tables truncated afterwards) or on the embedded SQLite default."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_app")
    request.getfixturevalue("committed")
    return request.getfixturevalue("app")


def test_parallel_uploads_to_one_draft_never_store_more_than_the_limit(backend_app, wechat):
    client = backend_app.test_client()
    alice = citizen_login(client, wechat, "o-parallel")
    draft = client.post("/reports", json={"description": "并发上传", "location": BAIYUN_GCJ}, headers=alice)
    report_id = draft.json["id"]
    results = _parallel(lambda i: _upload(client, alice, report_id, i))
    stored = [r for r in results if r[0] == 201]
    assert len(stored) == 9, results
    assert {code for status, code in results if status != 201} <= {"TOO_MANY_PHOTOS", "SERVICE_BUSY"}
    Session.remove()
    assert Session.scalar(sa.select(sa.func.count()).select_from(Media).where(
        Media.owner_type == "report", Media.owner_id == report_id)) == 9


def test_parallel_ratings_give_one_201_and_conflicts(client, committed, wechat):
    alice = citizen_login(client, wechat, "o-rater")
    reporter_id = client.get("/me", headers=alice).json["id"]
    report = Report(reporter_id=reporter_id, status="submitted", description="已办结的问题", lat=23.16, lon=113.26,
                    coord_system_in="wgs84", submitted_at=utcnow())
    case = Case(source="citizen", status="closed", description="已办结的问题", lat=23.16, lon=113.26,
                priority="normal", closed_at=utcnow())
    Session.add_all([report, case])
    Session.flush()
    Session.add(CaseReport(report_id=report.id, case_id=case.id))
    Session.commit()
    results = _parallel(lambda i: client.post(f"/reports/{report.id}/rating", json={"score": 1 + i % 5},
                                              headers=alice).status_code)
    assert sorted(results).count(201) == 1 and set(results) == {201, 409}, results
    Session.remove()
    assert Session.scalar(sa.select(sa.func.count()).select_from(Rating)) == 1


def test_parallel_first_logins_of_one_citizen_make_one_account(backend_app, wechat):
    client = backend_app.test_client()
    codes = [wechat.login_code("o-first-time") for _ in range(PARALLEL)]
    answers = _parallel(lambda i: client.post("/auth/wechat-login", json={"code": codes[i]}))
    assert [a.status_code for a in answers] == [200] * PARALLEL
    assert len({a.json["user"]["id"] for a in answers}) == 1
    with backend_app.app_context():
        Session.remove()
        assert Session.scalar(sa.select(sa.func.count()).select_from(Event).where(
            Event.action == "citizen_registered")) == 1
        Session.remove()


def test_an_exhausted_connection_pool_answers_503_with_retry_after(config, committed, wechat):
    app = create_app(dataclasses.replace(config, DB_POOL_SIZE=1, DB_MAX_OVERFLOW=0, DB_POOL_TIMEOUT_S=1))
    client = app.test_client()
    alice = citizen_login(client, wechat, "o-busy")
    held = Session.get_bind().connect()  # the only pooled connection is taken
    try:
        busy = client.get("/reports", headers=alice)
    finally:
        held.close()
    assert busy.status_code == 503 and busy.json["error"]["code"] == "SERVICE_BUSY"
    assert int(busy.headers["Retry-After"]) >= 1
    assert client.get("/reports", headers=alice).status_code == 200
    Session.remove()
    activate(config)


def test_on_sqlite_a_released_savepoint_does_not_commit_the_outer_transaction(tmp_path):
    """The embedded default once committed a capture row when its savepoint was released, so a capture whose
    snapshot was then refused stayed stored; SQLAlchemy now emits BEGIN itself (BEGIN IMMEDIATE)."""
    from sqlalchemy.orm import Session as OrmSession

    from api.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'savepoint.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    with OrmSession(engine) as session:
        with session.begin_nested():
            session.execute(sa.text("INSERT INTO t (id) VALUES (1)"))
        session.rollback()  # the request failed after the savepoint (a refused snapshot)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar() == 0
    engine.dispose()
