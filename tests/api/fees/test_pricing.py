"""The proration rule, to the fen, against hand-worked cases; splitting a payment over lines; bill amounts."""

from datetime import date

import pytest

from api.fees.payments.reconcile import BillFormatError, fen, parse_bill
from api.fees.pricing import price, segments
from api.fees.receipts.service import split

Y2017 = [(date(2017, 8, 28), 500)]


def test_a_whole_month_at_one_standard_is_exactly_standard_times_units():
    for period in (date(2026, 2, 1), date(2026, 11, 1), date(2026, 12, 1), date(2028, 2, 1)):
        assert price(period, 1, Y2017, [])[0] == 500
        assert price(period, 3, [(date(2017, 8, 28), 100)], [])[0] == 300


def test_a_standard_change_inside_a_month_is_prorated_by_day():
    # November has 30 days: 14 days at 5.00 + 16 days at 8.00 = (14×500 + 16×800) / 30 = 660 fen exactly
    timeline = Y2017 + [(date(2026, 11, 15), 800)]
    amount, detail = price(date(2026, 11, 1), 1, timeline, [])
    assert amount == 660
    assert [(d["from"], d["days"], d["standard_fen"]) for d in detail] == [("2026-11-01", 14, 500),
                                                                           ("2026-11-15", 16, 800)]


def test_rounding_is_half_up_once_at_the_end():
    # December: 31 days; 10 days at 5.00 then 21 days at 6.00 → (5000 + 12600) / 31 = 567.74… → 568
    assert price(date(2026, 12, 1), 1, Y2017 + [(date(2026, 12, 11), 600)], [])[0] == 568
    # one unit, one day of 5.00 in a 31-day month: 16.129… → 16; 3 units: 48.38… → 48 (never 3 × 16 + drift)
    assert price(date(2026, 12, 1), 1, [(date(2026, 12, 31), 500)], [])[0] == 16
    assert price(date(2026, 12, 1), 3, [(date(2026, 12, 31), 500)], [])[0] == 48
    # exactly half a fen rounds up: 1 fen over 2 days of a 4-day… (February 2026 has 28 days: 14 days of 1 fen)
    assert price(date(2026, 2, 1), 1, [(date(2026, 2, 15), 1)], [])[0] == 1  # 0.5 → 1


def test_an_exemption_takes_its_days_off_and_overlaps_take_the_largest():
    # a 低保 exemption from 11-21: 20 of 30 days charged → 333.33 → 333
    assert price(date(2026, 11, 1), 1, Y2017, [(date(2026, 11, 21), date(2027, 11, 20), 100)])[0] == 333
    # a 50 % reduction for the whole month, and a full exemption for its last 10 days: 20 × 250 / 30 = 166.67 → 167
    both = [(date(2026, 1, 1), date(2026, 12, 31), 50), (date(2026, 11, 21), date(2026, 11, 30), 100)]
    amount, detail = price(date(2026, 11, 1), 1, Y2017, both)
    assert amount == 167 and [d["reduction_pct"] for d in detail] == [50, 100]
    assert price(date(2026, 11, 1), 1, Y2017, [(date(2026, 1, 1), date(2027, 1, 1), 100)])[0] == 0


def test_no_standard_in_force_means_no_line():
    assert price(date(2016, 1, 1), 1, Y2017, []) is None
    # a standard starting mid-month charges only its days: 8.28 onwards in a 31-day August = 4 days → 64.5 → 65
    assert price(date(2017, 8, 1), 1, Y2017, [])[0] == 65
    assert segments(date(2017, 8, 1), Y2017, [])[0].start == date(2017, 8, 28)


@pytest.mark.parametrize("total, parts, expected", [
    (500, [("disposal", 500)], [("disposal", 500)]),
    (300, [("disposal", 500), ("cleaning", 500)], [("disposal", 150), ("cleaning", 150)]),
    (101, [("disposal", 1), ("cleaning", 2)], [("disposal", 33), ("cleaning", 68)]),
    (0, [("disposal", 500)], []),
])
def test_a_payment_splits_over_lines_to_the_fen(total, parts, expected):
    assert split(total, parts) == expected
    assert sum(share for _, share in split(total, parts)) == total


def test_bill_amounts_become_fen_exactly_or_are_refused():
    assert fen("`12.34") == 1234 and fen("0.10") == 10 and fen("`0.00") == 0 and fen("1234567.89") == 123456789
    for bad in ("`1.234", "abc", "1e3x"):
        with pytest.raises(BillFormatError):
            fen(bad)


def test_a_trade_bill_whose_summary_does_not_add_up_is_refused():
    header = ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,"
              "货币种类,应结订单金额")
    row = "`2026-12-01 10:00:00,`wx1,`1900000109,`0,`,`4200,`SF1,`o1,`JSAPI,`SUCCESS,`OTHERS,`CNY,`5.00"
    summary = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
    good = "\n".join([header, row, summary, "`1,`5.00,`0.00,`0.00,`0.00,`5.00,`0.00"])
    rows, money_in, money_out = parse_bill(good)
    assert [(r.key, r.amount_fen) for r in rows] == [("pay:SF1", 500)] and (money_in, money_out) == (500, 0)
    with pytest.raises(BillFormatError):
        parse_bill(good.replace("`1,`5.00", "`1,`6.00"))
    with pytest.raises(BillFormatError):
        parse_bill("not a bill")
