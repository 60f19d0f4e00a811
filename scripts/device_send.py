"""Send one signed request as a device would: for trying the device webhooks against `make run`.

    python scripts/device_send.py DEMO-PM-1 readings '{"readings": [{"kind": "pm25", "value": 130,
        "measured_at": "2026-11-25T10:00:00+08:00"}]}'
    python scripts/device_send.py DEMO-CAM-1 heartbeat '{}'

The secret comes from var/demo-devices.json (written by `make run`) or --secret; --api defaults to
http://127.0.0.1:8000. Prints the HTTP status and the answer.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.devices.auth import sign  # noqa: E402 - the same signing code the server checks against


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("code")
    parser.add_argument("path", choices=("captures", "readings", "drone-batches", "heartbeat"))
    parser.add_argument("body", help="JSON body")
    parser.add_argument("--secret")
    parser.add_argument("--api", default="http://127.0.0.1:8000")
    args = parser.parse_args(argv)
    secret = args.secret or json.loads((ROOT / "var" / "demo-devices.json").read_text())[args.code]
    body = json.dumps(json.loads(args.body), ensure_ascii=False).encode()
    url = f"/devices/{args.code}/{args.path}"
    timestamp, nonce = str(int(time.time())), secrets.token_hex(12)
    response = requests.post(args.api.rstrip("/") + url, data=body, timeout=30, headers={
        "Content-Type": "application/json", "X-Timestamp": timestamp, "X-Nonce": nonce,
        "X-Signature": sign(secret, timestamp, nonce, "POST", url, body)})
    sys.stdout.write(f"{response.status_code} {response.text}\n")
    return 0 if response.ok else 1


if __name__ == "__main__":
    sys.exit(main())
