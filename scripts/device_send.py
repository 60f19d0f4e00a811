#!/usr/bin/env python3
"""Send one signed request as a device would: for trying the device webhooks against `make run`.

    python3 scripts/device_send.py DEMO-PM-1 readings '{"readings": [{"kind": "pm25", "value": 130,
        "measured_at": "2026-11-25T10:00:00+08:00"}]}'
    python3 scripts/device_send.py DEMO-CAM-1 heartbeat '{}'

Standard library only, so it runs from any shell with any Python 3.8+ (no virtualenv needed). The secret comes
from var/demo-devices.json (written by `make run`) or --secret; --api defaults to http://127.0.0.1:8000. Prints
the HTTP status and the answer; exits 1 on a refusal.

The signature (as api/devices/auth.py checks it): hex HMAC-SHA256 under the device's secret of
"<X-Timestamp>\\n<X-Nonce>\\nPOST\\n<path>\\n<hex SHA-256 of the body>".
"""

import argparse
import hashlib
import hmac
import json
import secrets
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def sign(secret: str, timestamp: str, nonce: str, method: str, path: str, body: bytes) -> str:
    message = "\n".join((timestamp, nonce, method.upper(), path, hashlib.sha256(body).hexdigest()))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("code")
    parser.add_argument("path", choices=("captures", "readings", "drone-batches", "heartbeat"))
    parser.add_argument("body", help="JSON body")
    parser.add_argument("--secret")
    parser.add_argument("--api", default="http://127.0.0.1:8000")
    args = parser.parse_args(argv)
    secret = args.secret or json.loads((ROOT / "var" / "demo-devices.json").read_text())[args.code]
    body = json.dumps(json.loads(args.body), ensure_ascii=False).encode()
    path = f"/devices/{args.code}/{args.path}"
    timestamp, nonce = str(int(time.time())), secrets.token_hex(12)
    request = urllib.request.Request(args.api.rstrip("/") + path, data=body, method="POST", headers={
        "Content-Type": "application/json", "X-Timestamp": timestamp, "X-Nonce": nonce,
        "X-Signature": sign(secret, timestamp, nonce, "POST", path, body)})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as refused:
        status, text = refused.code, refused.read().decode()
    sys.stdout.write(f"{status} {text}\n")
    return 0 if 200 <= status < 300 else 1


if __name__ == "__main__":
    sys.exit(main())
