"""Run the simulator on a real local port (a thread, for tests and `make run`)."""

from __future__ import annotations

import threading
from pathlib import Path

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from miniprogram_mock import create_mock_app
from miniprogram_mock.paystate import PayMerchant, merchant_from_file


class _QuietHandler(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"  # keep connections alive, as WeChat's servers do

    def log_request(self, *args, **kwargs):  # keep test and dev output readable
        pass


class MockServer:
    def __init__(self, apps: dict[str, str], host: str = "127.0.0.1", port: int = 0, latency_ms: float = 0,
                 pay: PayMerchant | None = None, issuer_apps: dict[str, str] | None = None,
                 issuer_state: str | Path | None = None, h5: dict | None = None):
        self.app = create_mock_app(apps, pay=pay, issuer_apps=issuer_apps, issuer_state=issuer_state, h5=h5)
        self.app.extensions["wechat_mock"].latency_s = latency_ms / 1000
        self._server: BaseWSGIServer = make_server(host, port, self.app, threaded=True, request_handler=_QuietHandler)
        self.host, self.port = host, self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, name="wechat-mock", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def start(self) -> MockServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def main(argv: list[str] | None = None) -> None:
    """`python -m miniprogram_mock.server --port 8001 --app APPID:SECRET` — the simulator on its own."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--app", action="append", required=True, help="APPID:SECRET (repeatable)")
    parser.add_argument("--latency-ms", type=float, default=0,
                        help="answer msgSecCheck, imgSecCheck, subscribe send and jscode2session this much later")
    parser.add_argument("--issuer", action="append", default=[], help="APPID:SECRET of the receipt issuing "
                        "platform (repeatable)")
    parser.add_argument("--issuer-state", help="the file where the issuing platform keeps its documents and "
                        "numbering across restarts (default: in memory, forgotten when the simulator stops)")
    parser.add_argument("--api", default="", help="the API's base URL, for the mini-program stand-in at /h5/ "
                        "(the API's CORS_ORIGINS must name this simulator's origin)")
    parser.add_argument("--pay", help="a JSON file of the WeChat Pay merchant (mchid, appid, serial_no, "
                        "merchant_public_key, apiv3_key, platform_private_key, public_key_id)")
    args = parser.parse_args(argv)
    apps = dict(pair.split(":", 1) for pair in args.app)
    server = MockServer(apps, host=args.host, port=args.port, latency_ms=args.latency_ms,
                        pay=merchant_from_file(args.pay) if args.pay else None,
                        issuer_apps=dict(pair.split(":", 1) for pair in args.issuer), issuer_state=args.issuer_state,
                        h5={"api": args.api.rstrip("/")})
    try:
        server._server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
