"""A submit must not fail or lose work while Redis is down; the job runs exactly once when it is back."""

import dataclasses
import io
import shutil
import subprocess
import time

import pytest
import redis

from api.outbox import service as outbox
from tests.conftest import activate
from tests.support import BAIYUN_GCJ, citizen_login, free_port, jpeg, run_worker

pytestmark = pytest.mark.flow
TEMPLATE = "tmpl-report-progress"


class RedisProcess:
    """A real redis-server of our own, so stopping it does not disturb the shared test Redis."""

    def __init__(self):
        self.port = free_port()
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture
def own_redis(config):
    server = RedisProcess()
    server.start()
    activate(dataclasses.replace(config, REDIS_URL=f"redis://127.0.0.1:{server.port}/0"))
    yield server
    if server.proc.poll() is None:
        server.stop()
    activate(config)


def test_submit_during_a_redis_outage_is_kept_and_delivered_once(client, wechat, committed, own_redis):
    alice = citizen_login(client, wechat, "o-outage")
    wechat.allow("o-outage", TEMPLATE)
    client.post("/me/subscriptions", json={"template_ids": [TEMPLATE]}, headers=alice)
    report_id = client.post("/reports", json={"description": "垃圾满溢", "location": BAIYUN_GCJ},
                            headers=alice).json["id"]
    client.post(f"/reports/{report_id}/photos", data={"photo": (io.BytesIO(jpeg()), "p.jpg")}, headers=alice,
                content_type="multipart/form-data")
    run_worker()  # derivatives while Redis is up
    assert outbox.pending_count() == 0

    own_redis.stop()
    submitted = client.post(f"/reports/{report_id}/submit", headers=alice)
    assert submitted.status_code == 200 and submitted.json["status"] == "submitted"
    assert outbox.pending_count() == 2  # the notification and the photo's classify job wait in the outbox
    assert outbox.sweep() == 0  # still down: nothing handed over, nothing lost

    own_redis.start()  # an empty Redis comes back
    assert outbox.sweep() == 2
    assert outbox.sweep() == 0  # handed over once
    run_worker()
    run_worker()
    assert len(wechat.messages("o-outage")) == 1
    assert client.get("/me/notifications", headers=alice).json[0]["status"] == "sent"


def test_a_racing_second_hand_over_is_refused_by_rq(client, wechat, committed, own_redis):
    from api.outbox.models import OutboxJob

    alice = citizen_login(client, wechat, "o-race")
    wechat.allow("o-race", TEMPLATE)
    client.post("/me/subscriptions", json={"template_ids": [TEMPLATE]}, headers=alice)
    report_id = client.post("/reports", json={"description": "井盖破损", "location": BAIYUN_GCJ},
                            headers=alice).json["id"]
    client.post(f"/reports/{report_id}/photos", data={"photo": (io.BytesIO(jpeg()), "p.jpg")}, headers=alice,
                content_type="multipart/form-data")
    client.post(f"/reports/{report_id}/submit", headers=alice)
    job = committed.query(OutboxJob).filter(OutboxJob.func.like("%send_notification")).one()
    # the after-commit hook handed it over; pretend its bookkeeping was lost, and sweep again
    committed.query(OutboxJob).filter_by(id=job.id).update({"handed_over_at": None})
    committed.commit()
    assert outbox.sweep() == 1  # marked handed over, but RQ refused the duplicate job id
    run_worker()
    assert len(wechat.messages("o-race")) == 1
