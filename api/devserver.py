"""`make run`: the API, the WeChat simulator and a worker + clock on this machine, no services needed.

Uses SQLite under var/ and, unless REDIS_URL is set, an embedded Redis-compatible server. Generates
dev secrets into var/dev-secrets.env on first start. Like wsgi.py this is an entry point: it prepares
the environment the configuration module then reads.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

from werkzeug.serving import run_simple

ROOT = Path(__file__).resolve().parent.parent


def load_or_create_secrets(path: Path) -> dict[str, str]:
    if not path.exists():
        values = {"SECRET_KEY": secrets.token_urlsafe(48), "MEDIA_SIGNING_KEY": secrets.token_urlsafe(48),
                  "WECHAT_APPID": "wx" + secrets.token_hex(8), "WECHAT_SECRET": secrets.token_hex(16),
                  "ISSUER_SECRET": secrets.token_urlsafe(24),
                  "DEMO_PASSWORD": secrets.token_urlsafe(9)}
        path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
        path.chmod(0o600)
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def dev_pay_keys(var: Path, appid: str):
    """WeChat Pay for the simulator: the merchant's and the platform's RSA key pairs and the APIv3 key, generated
    once under var/wechatpay/; returns the backend's settings and the simulator's merchant."""
    from miniprogram_mock.paystate import PayMerchant, generate_rsa_pem

    folder = var / "wechatpay"
    folder.mkdir(mode=0o700, exist_ok=True)
    state = folder / "dev-pay.json"
    if not state.exists():
        merchant_private, merchant_public = generate_rsa_pem()
        platform_private, platform_public = generate_rsa_pem()
        state.write_text(json.dumps({
            "mchid": "1900000109", "serial_no": secrets.token_hex(20).upper(), "apiv3_key": secrets.token_hex(16),
            "public_key_id": "PUB_KEY_ID_" + secrets.token_hex(16).upper(), "merchant_private_key": merchant_private,
            "merchant_public_key": merchant_public, "platform_private_key": platform_private,
            "platform_public_key": platform_public}))
        state.chmod(0o600)
    keys = json.loads(state.read_text())
    for name in ("merchant_private_key", "platform_public_key"):
        pem = folder / f"{name}.pem"
        pem.write_text(keys[name])
        pem.chmod(0o600)
    merchant = PayMerchant(mchid=keys["mchid"], appid=appid, serial_no=keys["serial_no"],
                           merchant_public_key=keys["merchant_public_key"], apiv3_key=keys["apiv3_key"],
                           platform_private_key=keys["platform_private_key"], public_key_id=keys["public_key_id"])
    settings = {"WECHATPAY_MCHID": keys["mchid"], "WECHATPAY_CERT_SERIAL": keys["serial_no"],
                "WECHATPAY_PRIVATE_KEY_FILE": str(folder / "merchant_private_key.pem"),
                "WECHATPAY_APIV3_KEY": keys["apiv3_key"],
                "WECHATPAY_PUBLIC_KEY_FILE": str(folder / "platform_public_key.pem"),
                "WECHATPAY_PUBLIC_KEY_ID": keys["public_key_id"]}
    return settings, merchant


def prepare_environment(var: Path, mock_port: int, api_url: str = "http://127.0.0.1:8000",
                        redis_port: int = 0) -> tuple[dict[str, str], list]:
    """The settings a dev server and its workers share; starts the embedded Redis (on `redis_port`, 0: any free port)
    unless REDIS_URL is set, and the simulator on `mock_port`."""
    from api.config import Config
    from api.embedded_redis import EmbeddedRedis
    from miniprogram_mock.server import MockServer

    var.mkdir(parents=True, exist_ok=True)
    dev = load_or_create_secrets(var / "dev-secrets.env")
    env = {k: v for k, v in dev.items() if k != "DEMO_PASSWORD"}
    env.update({"ENV": "development", "DATABASE_URL": f"sqlite:///{var / 'dev.db'}",
                "MEDIA_DIR": str(var / "media"), "MODEL_DIR": str(var / "models"),
                "CORS_ORIGINS": f"http://127.0.0.1:{mock_port}"})  # the mini-program stand-in's page (/h5/)
    env.update({k: v for k, v in os.environ.items() if k in env})  # the caller's environment wins
    started: list = []
    if not os.environ.get("REDIS_URL"):
        started.append(EmbeddedRedis(port=redis_port).start())
        env["REDIS_URL"] = started[-1].url
    else:
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    pay_settings, merchant = dev_pay_keys(var, env["WECHAT_APPID"])
    issuer_secret = dev.get("ISSUER_SECRET") or secrets.token_urlsafe(24)
    mock = MockServer({env["WECHAT_APPID"]: env["WECHAT_SECRET"]}, port=mock_port, pay=merchant,
                      issuer_apps={"suiyun-dev": issuer_secret},
                      issuer_state=var / "issuer-state.jsonl",  # its numbering outlives a restart
                      h5={"api": api_url, "district_bbox": list(Config.DISTRICT_BBOX)}).start()
    started.append(mock)
    env["WECHAT_API_BASE"] = os.environ.get("WECHAT_API_BASE", mock.url)
    env.update(pay_settings)
    env.update({"WECHATPAY_API_BASE": os.environ.get("WECHATPAY_API_BASE", mock.url),
                "WECHATPAY_NOTIFY_URL": f"{api_url}/fees/wechatpay/notify",
                "WECHATPAY_REFUND_NOTIFY_URL": f"{api_url}/fees/wechatpay/refund-notify",
                "ISSUER_API_BASE": os.environ.get("ISSUER_API_BASE", mock.url), "ISSUER_APP_ID": "suiyun-dev",
                "ISSUER_SECRET": issuer_secret, "PUBLIC_BASE_URL": api_url})
    os.environ.update(env)
    # what a second shell needs to run a command against this server (the embedded Redis has a fresh port)
    runtime = var / "dev.env"
    runtime.write_text("".join(f"{k}={v}\n" for k, v in sorted(env.items())))
    runtime.chmod(0o600)
    return dev, started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--mock-port", type=int, default=None, help="the simulator's port (default: --port + 1)")
    parser.add_argument("--redis-port", type=int, default=None,
                        help="the embedded Redis's port (default: --port + 2; unused when REDIS_URL is set)")
    parser.add_argument("--var", default=str(ROOT / "var"))
    parser.add_argument("--no-worker", action="store_true")
    args = parser.parse_args(argv)
    args.mock_port = args.port + 1 if args.mock_port is None else args.mock_port
    args.redis_port = args.port + 2 if args.redis_port is None else args.redis_port
    redis = os.environ.get("REDIS_URL") or f"redis://127.0.0.1:{args.redis_port}/0   (embedded; REDIS_URL=… for yours)"

    dev, started = prepare_environment(Path(args.var).resolve(), args.mock_port, f"http://{args.host}:{args.port}",
                                       args.redis_port)
    from api import create_app
    from api.config import Config
    from api.db import unit_of_work
    from api.migrate import upgrade
    from api.seed import demo_point, seed_demo, seed_demo_components, seed_demo_devices
    from api.seed_cases import seed_demo_cases

    config = Config.from_env()
    upgrade(config.DATABASE_URL)
    app = create_app(config)
    with app.app_context(), unit_of_work():
        seed_demo(dev["DEMO_PASSWORD"])
        _grant_demo_subscriptions(started[-1])
        seed_demo_components()
        _remember_device_secrets(Path(args.var).resolve() / "demo-devices.json", seed_demo_devices())
        seed_demo_cases()  # work on every desk; the workers below run their automatic intake
        sanyuanli = demo_point()
    started[-1].app.config["H5"]["demo_point_gcj02"] = _gcj02(sanyuanli)  # the stand-in's "use the demo point"
    children = [] if args.no_worker else [
        subprocess.Popen([sys.executable, "-m", "workers.worker", "default", "notify"], cwd=ROOT),
        subprocess.Popen([sys.executable, "-m", "workers.worker", "classify", "--simple"], cwd=ROOT),
        subprocess.Popen([sys.executable, "-m", "workers.worker", "media", "check", "receipts", "--simple"],
                         cwd=ROOT),
        subprocess.Popen([sys.executable, "-m", "workers.schedule"], cwd=ROOT),
    ]
    _print_banner(args, started[-1].url, dev["DEMO_PASSWORD"], redis, sanyuanli)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        run_simple(args.host, args.port, app, threaded=True, use_reloader=False)
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait(timeout=10)
        for server in reversed(started):
            server.stop()


def _grant_demo_subscriptions(mock) -> None:
    """WeChat's side of the demo citizen's accepted progress and bill messages (the API's side is seeded)."""
    from api.config import get_config
    from api.seed import DEMO_CITIZEN_OPENID, DEMO_SUBSCRIPTIONS

    state = mock.app.extensions["wechat_mock"]
    for template in (get_config().TEMPLATE_REPORT_PROGRESS, get_config().TEMPLATE_BILL_REMINDER,
                     get_config().TEMPLATE_GAS_VISIT):
        key = (DEMO_CITIZEN_OPENID, template)
        with state.lock:
            state.quotas[key] = max(state.quotas[key], DEMO_SUBSCRIPTIONS)


def _remember_device_secrets(path: Path, new: dict[str, str]) -> None:
    """Keep the demo devices' secrets (shown once at registration) next to the other dev secrets."""
    known = json.loads(path.read_text()) if path.exists() else {}
    if new:
        known.update(new)
        path.write_text(json.dumps(known, indent=2))
        path.chmod(0o600)


def _gcj02(point: tuple[float, float]) -> dict[str, float]:
    from api import geo

    lat, lon = geo.wgs84_to_gcj02(*point)
    return {"lat": round(lat, 6), "lon": round(lon, 6)}


def _print_banner(args, mock_url: str, password: str, redis: str, sanyuanli: tuple[float, float]) -> None:
    from api import geo

    api = f"http://{args.host}:{args.port}"
    here = ",".join(f"{v:.6f}" for v in geo.wgs84_to_gcj02(*sanyuanli))
    lines = [
        "",
        "穗云智慧城管 — development server",
        f"  Mini-program   {mock_url}h5/   (the citizen's app, stood in by a phone-sized page: log in as"
        f" demo-citizen, report, pay, check a receipt or a badge — open it in a narrow window or the browser's"
        f" phone view)",
        f"  Staff console  {api}/console/   (sign in as clerk, dispatcher, handler, supervisor — password"
        f" {password} — and carry a citizen's report from 受理 to 结案 in the browser)",
        f"  API            {api}/",
        f"  OpenAPI docs   {api}/docs   (spec: {api}/openapi.json)",
        f"  Health         {api}/health",
        f"  WeChat mock    {mock_url}   (control endpoints under /_mock)",
        f"  Redis          {redis}",
        f"  Staff logins   admin, clerk, dispatcher, command, shift_lead, sanyuanli_clerk, supervisor,"
        f" sanyuanli_supervisor, handler, dept_head, billing, sanyuanli_billing, billing_head, gas_inspector,"
        f" sanyuanli_gas_supervisor, gas_supervisor, and <department code>_head / _handler"
        f" for every department"
        f" (GET {api}/admin/departments) — password {password}",
        f"  Desks          demo cases in 三元里 put work on every desk from the start (GET {api}/cases?desk=…):"
        f" {_desks_and_accounts()}",
        f"  Demo devices   secrets in {args.var}/demo-devices.json; send signed data with"
        f" python3 scripts/device_send.py DEMO-PM-1 readings '{{\"readings\": [{{\"kind\": \"pm25\","
        f" \"value\": 130}}]}}'",
        f"  Citizen login  POST {mock_url}_mock/login-code {{\"openid\": \"demo-citizen\"}} → code,"
        f" then POST {api}/auth/wechat-login {{\"code\": …}}",
        f"  Fees           the demo citizen holds account D0001 (GET {api}/fees/bills?status=payable); pay with"
        f" POST {api}/fees/orders {{\"bill_ids\": […]}}, then POST the answer's payment to"
        f" {mock_url}_mock/pay/confirm (the payment sheet)",
        f"  Gas            log in as gas_inspector: GET {api}/gas/field/tasks (three planned visits); the demo"
        f" citizen holds gas user GU0001 (GET {api}/gas/my/visits)",
        f"  三元里         the demo grid places streets synthetically: 三元里's demo premises are at {here}"
        f" (GCJ-02, as wx.getLocation gives it) — report or check in there to reach sanyuanli_clerk and its"
        f" supervisors",
        "",
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()


def _desks_and_accounts() -> str:
    """`intake, triage: clerk, sanyuanli_clerk · dispatch, deferred: dispatcher · …` from the seed's table."""
    from api.seed_cases import DEMO_DESKS

    by_accounts: dict[tuple[str, ...], list[str]] = {}
    for desk, accounts in DEMO_DESKS.items():
        by_accounts.setdefault(accounts, []).append(desk)
    shown = " · ".join(f"{', '.join(desks)}: {', '.join(accounts)}" for accounts, desks in by_accounts.items())
    return shown + " (close_approval has work only with CLOSE_APPROVAL=1, where the 值班长 approves 结案)"


if __name__ == "__main__":
    main()
