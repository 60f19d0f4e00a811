"""An administrator sets a sensor kind's thresholds: the first time a kind is stored, and again."""

import sqlalchemy as sa

from api.events.models import Event
from tests.factories.identity import StaffFactory
from tests.support import staff_token


def test_thresholds_are_stored_the_first_time_and_changed_after(client, db_session):
    admin = staff_token(StaffFactory(roles=("admin",)))
    first = client.put("/admin/sensor-types/odour", json={"alert_above": 0.0, "clear_below": 0.0}, headers=admin)
    assert first.status_code == 200, first.json
    assert (first.json["alert_above"], first.json["clear_below"]) == (0.0, 0.0)
    again = client.put("/admin/sensor-types/odour", json={"alert_above": 30.0, "clear_below": 12.5}, headers=admin)
    assert (again.json["alert_above"], again.json["clear_below"]) == (30.0, 12.5)
    listed = {t["kind"]: t for t in client.get("/admin/sensor-types", headers=admin).json}
    assert (listed["odour"]["alert_above"], listed["odour"]["clear_below"]) == (30.0, 12.5)
    payloads = db_session.scalars(sa.select(Event.payload).where(Event.action == "thresholds_set").order_by(Event.id))
    assert [p["to"] for p in payloads] == [[0.0, 0.0], [30.0, 12.5]]
