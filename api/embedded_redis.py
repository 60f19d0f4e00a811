"""The embedded Redis-compatible server of `make run` (fakeredis's TcpFakeServer), made tolerant.

fakeredis's TCP handler drops the connection after any command error; real Redis answers the error and
keeps the connection. redis-py relies on that (EVALSHA → NOSCRIPT → SCRIPT LOAD on the same connection,
which RQ's scheduler does), so this handler answers the error and carries on. It also writes a connection's
addresses as real Redis does in CLIENT INFO (`addr=127.0.0.1:5`, not a Python tuple with a space that redis-py
cannot split; RQ's worker asks at start), so the application's Redis client is plain `redis.Redis` and nothing
of this stand-in shapes it. Development only: tests and production use a real Redis.
"""

from __future__ import annotations

import select
import threading

from fakeredis import TcpFakeServer
from fakeredis._clients._tcp_server import TCPFakeRequestHandler

_POLL_S = 0.1


class _TolerantHandler(TCPFakeRequestHandler):
    def setup(self) -> None:
        super().setup()
        info = self.current_client.get_socket()._client_info
        for key in ("addr", "laddr"):
            if isinstance(info.get(key), tuple):
                info[key] = "{}:{}".format(*info[key][:2])

    def handle(self) -> None:
        while not self.server._shutdown_event.is_set():
            try:
                if self.current_client.can_read():
                    self.writer.dump(self.current_client.read_response())
                    continue
                data = self.rfile.readline()
                if data == b"":
                    readable, _, _ = select.select([self.connection], [], [], _POLL_S)
                    if not readable:
                        continue
                    data = self.rfile.readline()
                    if data == b"":
                        break
                self.current_client.get_socket().sendall(data)
            except ConnectionError:
                break
            except Exception as exc:  # noqa: BLE001 - a command error is a reply, as in real Redis
                self.writer.dump(exc)


class EmbeddedRedis:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self._server = TcpFakeServer((host, port), server_type="redis")
        self._server.RequestHandlerClass = _TolerantHandler
        self._server.daemon_threads = True
        self.host, self.port = self._server.server_address[0], self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="embedded-redis", daemon=True)

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def start(self) -> EmbeddedRedis:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
