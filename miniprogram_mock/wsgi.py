"""The simulator for a WSGI server that keeps connections alive, as WeChat's servers do (the load benchmarks):

    MOCK_APPS=APPID:SECRET MOCK_LATENCY_MS=80 [MOCK_PAY=merchant.json] [MOCK_ISSUER=ID:SECRET MOCK_ISSUER_STATE=f] \\
        gunicorn -w 1 -k gthread --threads 64 --keep-alive 75 --max-requests 0 --timeout 600 \\
        -b 127.0.0.1:8001 miniprogram_mock.wsgi:app

One process (the simulator's state is in memory), many threads (each call may sleep for the latency), and a worker
that is never recycled: run from the repository's root, gunicorn would otherwise take the API's gunicorn.conf.py
(max_requests) and a recycled worker forgets every code, token and order it gave out.
`python -m miniprogram_mock.server` (werkzeug, one connection per call) serves tests and `make run`.
"""

from __future__ import annotations

import os

from miniprogram_mock import create_mock_app
from miniprogram_mock.paystate import merchant_from_file

app = create_mock_app(dict(pair.split(":", 1) for pair in os.environ.get("MOCK_APPS", "").split(",") if pair),
                      pay=merchant_from_file(os.environ["MOCK_PAY"]) if os.environ.get("MOCK_PAY") else None,
                      issuer_apps=dict(pair.split(":", 1) for pair in os.environ.get("MOCK_ISSUER", "").split(",")
                                       if pair), issuer_state=os.environ.get("MOCK_ISSUER_STATE") or None)
app.extensions["wechat_mock"].latency_s = float(os.environ.get("MOCK_LATENCY_MS", "0")) / 1000
