"""0019 on an installation whose old simulator restarted its numbering: two reversals already share a red number.
The upgrade holds each number once (the oldest document keeps it) instead of aborting on its own primary key."""

import sqlalchemy as sa

from api.migrate import upgrade

ROW = ("INSERT INTO fee_receipts (id, order_id, account_id, kind, amount_fen, payer_name, items, status, created_at, "
       "doc_code, doc_number, reversal_code, reversal_number, issue_round, generation) VALUES "
       "(:id, :id, 1, 'fiscal', 100, '张三', '[]', 'reversed', now(), '44012626', :doc, '44012626', :red, 0, 0)")


def test_reversals_that_already_share_a_number_do_not_stop_the_upgrade(empty_database):
    url, engine = empty_database
    upgrade(url, "0018_gas_inspection")
    with engine.begin() as conn:
        conn.execute(sa.text("SET session_replication_role = replica"))  # rows without their orders/accounts
        for receipt_id, doc, red in ((1, "0000000001", "0000000003"), (2, "0000000002", "0000000003")):
            conn.execute(sa.text(ROW), {"id": receipt_id, "doc": doc, "red": red})
    upgrade(url)
    with engine.connect() as conn:
        held = conn.execute(sa.text("SELECT doc_number, receipt_id, role FROM fee_receipt_numbers "
                                    "ORDER BY doc_number")).all()
    assert [tuple(r) for r in held] == [("0000000001", 1, "receipt"), ("0000000002", 2, "receipt"),
                                        ("0000000003", 1, "reversal")]
