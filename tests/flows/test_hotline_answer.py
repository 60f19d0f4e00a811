"""12345 answers go back to the hotline platform: signed, once, and visibly failed when it never answers."""

import dataclasses
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from api.cases.sources.hotline import sign
from api.config import init_config
from api.db import Session
from api.events.models import Event
from api.organisation.service import load_demo_organisation, load_divisions
from tests.factories.identity import StaffFactory
from tests.support import run_worker, staff_token

pytestmark = pytest.mark.flow
KEY = "hotline-test-key-" + "k" * 20


class Platform(ThreadingHTTPServer):
    """A stand-in for the 12345 platform: records what it receives, answers with `status`."""

    def __init__(self):
        self.received, self.status = [], 200
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                platform.received.append((dict(self.headers), body))
                self.send_response(platform.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/answers"


@pytest.fixture
def platform(config, committed):
    server = Platform()
    init_config(dataclasses.replace(config, HOTLINE_ANSWER_URL=server.url, HOTLINE_SIGNING_KEY=KEY))
    load_divisions()
    load_demo_organisation()
    Session.commit()
    yield server
    server.shutdown()


def hotline_case(client, clerk, ticket: str) -> int:
    body = {"description": "市民来电反映夜间施工噪音", "lat": 23.1625, "lon": 113.2628, "external_ticket_no": ticket}
    return client.post("/cases/hotline", json=body, headers=staff_token(clerk)).json["id"]


def test_a_refused_hotline_case_is_answered_once_and_signed(client, platform):
    clerk = StaffFactory(roles=("intake_clerk",))
    Session.commit()
    case_id = hotline_case(client, clerk, "GZ12345-0100")
    client.post(f"/cases/{case_id}/refuse", json={"reason": "属环保部门职责，已转办"}, headers=staff_token(clerk))
    run_worker()
    run_worker()  # nothing left: a second run sends nothing

    assert len(platform.received) == 1
    headers, body = platform.received[0]
    assert headers["X-Signature"] == sign(KEY, headers["X-Timestamp"], body)
    answer = json.loads(body)
    assert (answer["external_ticket_no"], answer["outcome"], answer["result"]) == (
        "GZ12345-0100", "refused", "属环保部门职责，已转办")
    Session.remove()
    assert Session.scalar(sa.select(sa.func.count()).select_from(Event).where(
        Event.subject_id == case_id, Event.action == "hotline_answered")) == 1


def test_a_platform_that_never_answers_leaves_a_visible_failure(client, platform):
    platform.status = 503
    clerk = StaffFactory(roles=("intake_clerk",))
    Session.commit()
    case_id = hotline_case(client, clerk, "GZ12345-0101")
    client.post(f"/cases/{case_id}/refuse", json={"reason": "重复来电"}, headers=staff_token(clerk))
    run_worker()

    assert len(platform.received) == 6  # the first attempt and five retries
    Session.remove()
    failed = Session.scalar(sa.select(Event).where(Event.subject_id == case_id,
                                                   Event.action == "hotline_answer_failed"))
    assert failed is not None and "503" in failed.reason
    inbox = client.get("/me/inbox", headers=staff_token(clerk)).json
    assert any(n["kind"] == "hotline_answer_failed" for n in inbox["items"])
