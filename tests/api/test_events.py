"""The event log: one event, or a batch in one INSERT, written alike."""

from __future__ import annotations

from datetime import UTC, datetime

from api.events.service import Actor, Happened, history, record, record_many


def test_a_batch_writes_what_record_writes(db_session):
    at = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    record("case", 7, "escalated", Actor.system(), reason="r", payload={"level": 1})
    assert record_many([Happened("case", 7, "escalated", reason="r", payload={"level": 1}),
                        Happened("case", 7, "content_checked", from_state="a", to_state="b")],
                       Actor("staff", 3), at) == 2
    assert record_many([], Actor.system()) == 0
    single, batched, other = history("case", 7)
    assert (single.action, single.actor_type, single.reason, single.payload) == ("escalated", "system", "r",
                                                                                  {"level": 1})
    assert (batched.action, batched.actor_type, batched.actor_id, batched.reason, batched.payload,
            batched.created_at) == ("escalated", "staff", 3, "r", {"level": 1}, at)
    assert (other.from_state, other.to_state, other.payload) == ("a", "b", {})
