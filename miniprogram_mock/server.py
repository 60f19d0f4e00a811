"""Run the simulator on a real local port (a thread, for tests and `make run`)."""

from __future__ import annotations

import threading

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from miniprogram_mock import create_mock_app


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # keep test and dev output readable
        pass


class MockServer:
    def __init__(self, apps: dict[str, str], host: str = "127.0.0.1", port: int = 0):
        self.app = create_mock_app(apps)
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
