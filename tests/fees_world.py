"""A small fee world for tests: the reference standards, three premises in 三元里 and one in 京溪, four accounts."""

from __future__ import annotations

from datetime import date, timedelta

import requests

from api.events.service import Actor
from tests import support

SANYUANLI, JINGXI = "440111002000", "440111010000"
PREMISES = f"""code,kind,address,community,occupants,street_code
P-0001,household,三元里大道1号101房,三元里社区,3,{SANYUANLI}
P-0002,household,三元里大道1号102房,三元里社区,5,{SANYUANLI}
P-0003,business,三元里大道3号首层,三元里社区,0,{SANYUANLI}
P-0004,household,京溪路8号201房,京溪社区,2,{JINGXI}
"""
ACCOUNTS = """number,premises_code,payer_kind,payer_name,phone,basis,units
A0001,P-0001,resident,张三,13800001234,household_month,1
A0002,P-0002,temporary,李四,13900005678,person_month,3
A0003,P-0003,individual_business,王五商行,13700009012,bin,4
A0004,P-0004,resident,赵六,13600003456,household_month,1
"""


def make_world() -> None:
    """Call inside a unit of work (or a test's transaction)."""
    from api.fees.billing import accounts, standards
    from api.organisation.service import load_divisions
    from api.premises.service import import_premises

    load_divisions()
    standards.seed_reference()
    import_premises(PREMISES, Actor.system())
    accounts.import_accounts(ACCOUNTS, Actor.system())


def months_ago(n: int, today: date | None = None) -> date:
    from api.db import utcnow
    from api.timefmt import SHANGHAI

    day = (today or utcnow().astimezone(SHANGHAI).date()).replace(day=1)
    for _ in range(n):
        day = (day - timedelta(days=1)).replace(day=1)
    return day


def pay_sheet(mock_url: str, payment: dict) -> dict:
    """What the mini-program's payment sheet does with wx.requestPayment's parameters (the simulator verifies
    paySign with the merchant's public key and pays)."""
    answer = requests.post(mock_url + "_mock/pay/confirm", json=payment, timeout=5)
    assert answer.status_code == 200, answer.text
    return answer.json()


def wait_for(predicate):
    """tests.support.wait_for, polled often: the notifies arrive in milliseconds."""
    return support.wait_for(predicate, timeout=15, interval=0.05)
