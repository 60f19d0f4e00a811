"""Billing benchmark: a bill run for 1,000,000 accounts, WeChat Pay notifies settled over HTTP, prepay orders/s.

Run with `make bench-billing`. Everything on this machine through the harness: PostgreSQL, Redis, gunicorn with
gunicorn.conf.py, the WeChat simulator (Pay v3) as its own process. Prints one table:
- the bill run: `flask billing run` (a subprocess, as an operator runs it) over BENCH_ACCOUNTS accounts COPY-loaded
  (80 % households, 15 % per person, 5 % by bin; 1 % with an approved exemption from mid-month) — seconds, bills/s;
- notifies: BENCH_NOTIFIES pending orders COPY-loaded; this process plays WeChat — signs (RSA-2048, the platform
  key) and encrypts (AES-256-GCM) one TRANSACTION.SUCCESS per order, each with a fresh timestamp, and POSTs them
  from BENCH_NOTIFY_THREADS threads; the API verifies, decrypts and settles each (order, bill, ledger, receipts job)
  — notifies/s, latency, and this signing client's own share of the machine's CPU;
- receipts: the paid orders' receipt jobs (prepare, then issue: the simulated platform, invoices/ rendering with the
  CJK font embedded, storage) by two non-forking workers — receipts issued/s from the first issue to the last, the
  same counted from the workers' start (imports, font registration, the 0.5 s polling of this script included), and
  one render's time here; and the issuing platform alone (numbering calls from 8 threads of this process);
- prepay: POST /fees/orders by 5,000 citizens each paying one bill (wrk), the API calling the simulator's JSAPI
  prepay through wechatpayv3 and signing paySign — orders/s;
- arrears: BENCH_ARREARS_PERIODS − 1 earlier months added by copying the run's bills (INSERT … SELECT, through the
  rollup's triggers; about 70 % of each older month paid, 5 % partly), the clock's fold, then the district-wide
  arrears report by street × period with ageing (GET /admin/billing/reports/arrears, wrk at 4 connections) —
  requests/s and p99 — and the same report counted from the bills once, for comparison.
"""

from __future__ import annotations

import base64
import io
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import psycopg
import requests
import sqlalchemy as sa
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from harness import ROOT, Stack, Table, percentiles, wrk

ACCOUNTS = int(os.environ.get("BENCH_ACCOUNTS", "1000000"))
NOTIFIES = int(os.environ.get("BENCH_NOTIFIES", "4000"))
NOTIFY_THREADS = int(os.environ.get("BENCH_NOTIFY_THREADS", "16"))
PREPAY_USERS = 5000
DURATION = int(os.environ.get("BENCH_DURATION", "20"))
PERIOD = "2026-06"
ARREARS_PERIODS = int(os.environ.get("BENCH_ARREARS_PERIODS", "12"))
HEAD = "bench-billing-head"

PREPAY_LUA = """
local pairs_ = {}
for line in io.lines("%(file)s") do
  local id, token = line:match("(%%d+) (.+)")
  pairs_[#pairs_ + 1] = {id, token}
end
local i = 0
local offset = 0
local threads = 0
setup = function(thread) thread:set("offset", threads); threads = threads + 1 end
init = function(args) offset = tonumber(wrk.thread:get("offset")) or 0 end
request = function()
  i = i + 1  -- thread k takes lines k, k+2, k+4 …: every bill is ordered once
  local p = pairs_[((i * 2 + offset) %% #pairs_) + 1]
  return wrk.format("POST", "/fees/orders", {["Content-Type"] = "application/json",
                    ["Authorization"] = "Bearer " .. p[2]}, '{"bill_ids":[' .. p[1] .. ']}')
end
"""


def copy_rows(conn, sql: str, rows) -> None:
    with conn.cursor() as cur, cur.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def load_accounts(stack: Stack) -> list[str]:
    """COPY premises (one per ten accounts) and the accounts; 1 % get an approved exemption from mid-month."""
    now = datetime.now(UTC)
    with psycopg.connect(stack.dsn) as conn:
        streets = [r[0] for r in conn.execute("SELECT code FROM divisions WHERE kind IN ('street', 'town') "
                                              "ORDER BY code")]
        staff = [r[0] for r in conn.execute("SELECT id FROM users WHERE kind = 'staff' ORDER BY id LIMIT 2")]
        premises = max(1, ACCOUNTS // 10)
        base = conn.execute("SELECT coalesce(max(id), 0) FROM premises").fetchone()[0]
        copy_rows(conn, "COPY premises (code, kind, address, street_code, community, occupants, created_at) FROM STDIN",
                  ((f"B{n:08d}", "household", f"白云区压测路{n}号", streets[n % len(streets)], "压测社区", 3, now)
                   for n in range(premises)))

        def account(n: int):
            basis, units = ("household_month", 1) if n % 20 < 16 else (
                ("person_month", 1 + n % 6) if n % 20 < 19 else ("bin", 1 + n % 10))
            return (f"B{n:09d}", base + 1 + n % premises, streets[(n % premises) % len(streets)], "resident",
                    f"户主{n}", f"138{n:08d}"[-11:], basis, units, "active", now)

        copy_rows(conn, "COPY fee_accounts (number, premises_id, street_code, payer_kind, payer_name, phone, basis, "
                        "units, status, created_at) FROM STDIN", (account(n) for n in range(ACCOUNTS)))
        first = conn.execute("SELECT min(id) FROM fee_accounts WHERE number LIKE 'B%'").fetchone()[0]
        copy_rows(conn, "COPY fee_exemptions (account_id, kind, reduction_pct, evidence, valid_from, valid_to, status, "
                        "requested_by, requested_at, decided_by, decided_at) FROM STDIN",
                  ((first + n, "dibao", 100, f"低保证{n}", f"{PERIOD}-16", "2027-06-15", "approved", staff[0], now,
                    staff[1], now) for n in range(0, ACCOUNTS, 100)))
        conn.execute("ANALYZE")
    return streets


def bill_run(stack: Stack) -> tuple[float, int]:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "billing", "run", "--period", PERIOD],
                         cwd=ROOT, env=stack.env, check=True, capture_output=True, text=True).stdout
    seconds = time.perf_counter() - started
    return seconds, int(out.strip().rsplit(", ", 1)[1].split()[0])


def load_orders(stack: Stack, count: int) -> list[tuple[str, int]]:
    """`count` pending orders, each over one bill of the run: (out_trade_no, amount)."""
    now = datetime.now(UTC)
    with psycopg.connect(stack.dsn) as conn:
        user = conn.execute("INSERT INTO users (kind, openid, display_name, is_active, created_at) "
                            "VALUES ('citizen', 'o-bench-payer', '', true, now()) RETURNING id").fetchone()[0]
        bills = conn.execute("SELECT id, amount_fen FROM fee_bills WHERE amount_fen > 0 ORDER BY id DESC LIMIT %s",
                             (count,)).fetchall()
        orders = [(f"BN{n:012d}", amount) for n, (_, amount) in enumerate(bills)]
        copy_rows(conn, "COPY fee_orders (out_trade_no, user_id, openid, amount_fen, description, status, prepay_id, "
                        "time_expire, created_at) FROM STDIN",
                  ((no, user, "o-bench-payer", amount, "压测", "pending", f"wx{no}", now + timedelta(hours=2), now)
                   for no, amount in orders))
        ids = dict(conn.execute("SELECT out_trade_no, id FROM fee_orders WHERE out_trade_no LIKE 'BN%'").fetchall())
        copy_rows(conn, "COPY fee_order_items (order_id, bill_id, amount_fen) FROM STDIN",
                  ((ids[no], bill_id, amount) for (no, amount), (bill_id, _) in zip(orders, bills, strict=True)))
        conn.execute("UPDATE fee_bills b SET live_order_id = i.order_id FROM fee_order_items i WHERE i.bill_id = b.id")
        conn.execute("ANALYZE")
    return orders


class WeChat:
    """This process as WeChat Pay: signs and encrypts notifies with the stack's platform key and APIv3 key."""

    def __init__(self, stack: Stack):
        self.pay = stack.pay
        self.key = serialization.load_pem_private_key(stack.platform_private.encode(), password=None)
        self.aes = AESGCM(self.pay["apiv3_key"].encode())
        self.url = stack.api + "/fees/wechatpay/notify"

    def notify(self, out_trade_no: str, amount: int) -> tuple[bytes, dict]:
        resource = json.dumps({"appid": self.pay["appid"], "mchid": self.pay["mchid"], "out_trade_no": out_trade_no,
                               "transaction_id": "4200" + secrets.token_hex(12), "trade_type": "JSAPI",
                               "trade_state": "SUCCESS", "trade_state_desc": "支付成功", "bank_type": "OTHERS",
                               "success_time": datetime.now(UTC).isoformat(timespec="seconds"),
                               "payer": {"openid": "o-bench-payer"},
                               "amount": {"total": amount, "payer_total": amount, "currency": "CNY"}})
        nonce = secrets.token_urlsafe(9)[:12]
        ciphertext = self.aes.encrypt(nonce.encode(), resource.encode(), b"transaction")
        body = json.dumps({"id": "EV-" + secrets.token_hex(12), "create_time": datetime.now(UTC).isoformat(),
                           "resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS",
                           "summary": "支付成功", "resource": {"original_type": "transaction",
                                                           "algorithm": "AEAD_AES_256_GCM",
                                                           "ciphertext": base64.b64encode(ciphertext).decode(),
                                                           "associated_data": "transaction", "nonce": nonce}})
        ts, header_nonce = str(int(time.time())), secrets.token_hex(16)
        signature = base64.b64encode(self.key.sign(f"{ts}\n{header_nonce}\n{body}\n".encode(), padding.PKCS1v15(),
                                                   hashes.SHA256())).decode()
        return body.encode(), {"Content-Type": "application/json", "Wechatpay-Timestamp": ts,
                               "Wechatpay-Nonce": header_nonce, "Wechatpay-Signature": signature,
                               "Wechatpay-Serial": self.pay["public_key_id"],
                               "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048"}


def send_notifies(stack: Stack, orders: list[tuple[str, int]]) -> dict:
    wechat, local = WeChat(stack), threading.local()
    timings, statuses, lock = [], [], threading.Lock()

    def one(order: tuple[str, int]) -> None:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        body, headers = wechat.notify(*order)
        started = time.perf_counter()
        answer = session.post(wechat.url, data=body, headers=headers, timeout=30)
        with lock:
            timings.append((time.perf_counter() - started) * 1000)
            statuses.append(answer.status_code)

    cpu, started = time.process_time(), time.perf_counter()
    with ThreadPoolExecutor(NOTIFY_THREADS) as pool:
        list(pool.map(one, orders))
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"rate": len(orders) / wall, **percentiles(timings), "non_2xx": sum(s >= 300 for s in statuses),
            "client_cpu_share": f"{cpu / (wall * os.cpu_count()):.0%} of {os.cpu_count()} CPUs"}


def issue_receipts(stack: Stack, expected: int) -> dict:
    """Every paid order's receipt jobs (queued by the notifies) run by two non-forking workers on the receipts
    queue, the CJK font registered once per worker; receipts issued per second, and one PDF's render time in this
    process for comparison."""
    from datetime import UTC, datetime

    from invoices import fonts
    from invoices.documents import FiscalReceipt, ReceiptLine
    from invoices.render import render_fiscal_receipt

    started = time.perf_counter()
    stack.start_workers("receipts", count=2, simple=True)
    with psycopg.connect(stack.dsn, autocommit=True) as conn:
        issued = 0
        while issued < expected and time.perf_counter() - started < 600:
            time.sleep(0.5)
            issued = conn.execute("SELECT count(*) FROM fee_receipts WHERE status = 'issued'").fetchone()[0]
        seconds = time.perf_counter() - started
        first, last = conn.execute("SELECT min(issued_at), max(issued_at) FROM fee_receipts "
                                   "WHERE status = 'issued'").fetchone()
    steady = (issued - 1) / (last - first).total_seconds() if issued > 1 and last > first else 0
    fonts.font()
    sample = FiscalReceipt(code="44012626", number="0000000001", check_code="abc123", payer="张三", payer_id="B1",
                           payee="广州市白云区城市管理和综合执法局",
                           lines=(ReceiptLine("生活垃圾处理费", PERIOD, "B1", 500),),
                           issued_at=datetime.now(UTC), cashier="穗云", verify_url="https://x.invalid/v?p=1")
    render_fiscal_receipt(sample)
    render_started = time.perf_counter()
    for _ in range(50):
        render_fiscal_receipt(sample)
    one = (time.perf_counter() - render_started) / 50 * 1000
    return {"rate": steady, "receipts": issued, "with_worker_start_per_s": round(issued / seconds, 1),
            "seconds": round(seconds, 1),
            "font": fonts.font(), "one_render_ms": round(one, 1)}


def issuing(stack: Stack, count: int = 2000, threads: int = 8) -> dict:
    """The issuing platform alone: `count` numbering calls (api/fees/issuer.py, HMAC-signed, keep-alive) from
    `threads` threads of this process against the simulated platform — documents numbered per second."""
    from api.fees.receipts import issuer

    timings: list[float] = []

    def one(n: int) -> None:
        began = time.perf_counter()
        issuer.issue(request_id=f"bench-issue-{n}", kind="fiscal", payer="张三",
                     items=[{"name": "生活垃圾处理费", "period": PERIOD, "amount_fen": 500}], total_fen=500)
        timings.append((time.perf_counter() - began) * 1000)

    with stack.app_context():
        started = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(one, range(count)))
        seconds = time.perf_counter() - started
    return {"rate": count / seconds, **percentiles(timings), "documents": count, "threads": threads}


def add_older_months(stack: Stack) -> float:
    """ARREARS_PERIODS − 1 months before PERIOD, copied from its bills (the lines are not needed for arrears):
    each month its due date, 70 % of the bills paid and 5 % paid in part. Returns the seconds it took."""
    started = time.perf_counter()
    with psycopg.connect(stack.dsn, autocommit=True) as conn:
        for back in range(1, ARREARS_PERIODS):
            conn.execute(
                "INSERT INTO fee_bills (account_id, period, street_code, amount_fen, paid_fen, exempted_fen, status, "
                "due_date, created_at) "
                "SELECT account_id, (period - make_interval(months => %(back)s))::date, street_code, amount_fen, "
                "CASE WHEN amount_fen = 0 THEN 0 WHEN account_id %% 20 < 14 THEN amount_fen "
                "     WHEN account_id %% 20 = 14 THEN amount_fen / 2 ELSE 0 END, exempted_fen, "
                "CASE WHEN amount_fen = 0 THEN 'nothing_due' WHEN account_id %% 20 < 14 THEN 'paid' "
                "     WHEN account_id %% 20 = 14 AND amount_fen / 2 > 0 THEN 'partly_paid' "
                "     WHEN account_id %% 20 = 14 THEN 'unpaid' ELSE 'unpaid' END, "
                "(due_date - make_interval(months => %(back)s))::date, now() "
                "FROM fee_bills WHERE period = %(period)s", {"back": back, "period": f"{PERIOD}-01"})
        conn.execute("ANALYZE fee_bills")
    return time.perf_counter() - started


def arrears(stack: Stack, head_token: str) -> tuple[dict, float, int]:
    """The report by street × period over every month (wrk, 4 connections), after the clock's fold; and the same
    report counted from the bills once (seconds), and how many bills it covers."""
    from api.fees.figures import service as reports
    from api.identity.models import User
    from api.timefmt import today
    from workers.billing import fold_arrears

    first = datetime.strptime(PERIOD, "%Y-%m") - timedelta(days=31 * (ARREARS_PERIODS - 1))
    query = f"period_from={first:%Y-%m}&period_to={PERIOD}&group_by=street"
    with stack.app_context():
        fold_arrears()
    script = stack.work / "arrears.lua"
    script.write_text(f'wrk.method = "GET"\nwrk.path = "/admin/billing/reports/arrears?{query}"\n'
                      f'wrk.headers["Authorization"] = "Bearer {head_token}"\n')
    figures = wrk(stack, script, duration=DURATION, connections=4)
    with stack.app_context():
        from api.db import Session

        head = Session.scalar(sa.select(User).where(User.username == HEAD))
        started = time.perf_counter()
        rows = reports.arrears(head, group_by="street", period_from=first.date().replace(day=1),
                               period_to=datetime.strptime(PERIOD, "%Y-%m").date(), today=today(), use_rollup=False)
        counted = time.perf_counter() - started
        Session.remove()
    return figures, counted, sum(r["bills"] for r in rows)


def prepare_prepay(stack: Stack) -> str:
    """PREPAY_USERS citizens, each bound to an account with one unpaid bill of the run; `<bill id> <token>` lines."""
    from api.identity import tokens

    now = datetime.now(UTC)
    with psycopg.connect(stack.dsn) as conn:
        copy_rows(conn, "COPY users (kind, openid, display_name, is_active, created_at) FROM STDIN",
                  (("citizen", f"o-bench-prepay-{n}", "", True, now) for n in range(PREPAY_USERS)))
        users = [r[0] for r in conn.execute("SELECT id FROM users WHERE openid LIKE 'o-bench-prepay-%' ORDER BY id")]
        bills = conn.execute("SELECT id, account_id FROM fee_bills WHERE amount_fen > 0 AND live_order_id IS NULL "
                             "ORDER BY id LIMIT %s", (PREPAY_USERS,)).fetchall()
        copy_rows(conn, "COPY fee_account_bindings (account_id, user_id, bound_at) FROM STDIN",
                  ((account, user, now) for user, (_, account) in zip(users, bills, strict=True)))
    lines = io.StringIO()
    for user, (bill, _) in zip(users, bills, strict=True):
        lines.write(f"{bill} {tokens.issue(user, 'citizen', stack.config.SECRET_KEY, 3600)[0]}\n")
    path = stack.work / "prepay.txt"
    path.write_text(lines.getvalue())
    return str(path)


def main() -> None:
    with Stack(workers=4) as stack:
        stack.seed()
        table = Table(f"billing benchmark — {ACCOUNTS:,} accounts, {NOTIFIES:,} notifies from {NOTIFY_THREADS} "
                      f"threads, prepay {DURATION}s × 16 connections; gunicorn 4 gthread workers")
        load_started = time.perf_counter()
        load_accounts(stack)
        table.note(f"COPY-loaded {ACCOUNTS:,} accounts in {time.perf_counter() - load_started:.1f} s")
        seconds, bills = bill_run(stack)
        table.add(f"bill run, {ACCOUNTS:,} accounts (flask billing run)", rate=bills / seconds,
                  seconds=round(seconds, 1), bills=bills)
        stack.start_api()
        orders = load_orders(stack, NOTIFIES)
        table.add("payment notifies settled over HTTP (verify + decrypt + settle)", **send_notifies(stack, orders))
        with psycopg.connect(stack.dsn) as conn:
            paid = conn.execute("SELECT count(*) FROM fee_orders WHERE status = 'paid'").fetchone()[0]
            ledger = conn.execute("SELECT count(*) FROM fee_ledger").fetchone()[0]
        table.note(f"after the notifies: {paid:,} orders paid, {ledger:,} ledger entries (of {NOTIFIES:,})")
        table.add("receipts issued through the worker path (prepare + platform + render + store), 2 non-forking "
                  "workers",
                  **issue_receipts(stack, paid))
        table.add("issuing platform alone: numbering calls (simulated platform, HMAC-signed, keep-alive)",
                  **issuing(stack))
        table.add("prepay orders over HTTP (JSAPI prepay through wechatpayv3 + paySign)",
                  **wrk(stack, PREPAY_LUA % {"file": prepare_prepay(stack)}, duration=DURATION, connections=16))
        if ARREARS_PERIODS > 1:
            seconds = add_older_months(stack)
            with psycopg.connect(stack.dsn) as conn:
                bills = conn.execute("SELECT count(*) FROM fee_bills").fetchone()[0]
            table.note(f"arrears: {ARREARS_PERIODS - 1} earlier months copied in {seconds:.1f} s; {bills:,} bills")
            figures, counted, open_bills = arrears(stack, stack.staff_token(HEAD, {"billing_head"}))
            table.add(f"arrears report, street × period × ageing, {ARREARS_PERIODS} months, from the rollup "
                      f"(4 connections)", **figures)
            table.add("the same report counted from the bills (once, for comparison)",
                      seconds=round(counted, 2), open_bills=open_bills)
        table.print()


if __name__ == "__main__":
    main()
