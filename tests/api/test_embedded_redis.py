"""The embedded Redis of `make run` answers as real Redis does where redis-py and RQ rely on it."""

from __future__ import annotations

import pytest
import redis

from api.embedded_redis import EmbeddedRedis


def test_a_plain_redis_client_reads_client_info_and_keeps_its_connection_after_an_error():
    server = EmbeddedRedis().start()
    try:
        client = redis.Redis.from_url(server.url)
        info = client.client_info()  # RQ's worker asks at start; fakeredis wrote addr=('127.0.0.1', 5)
        assert info["addr"].startswith("127.0.0.1:") and info["addr"].rsplit(":", 1)[1].isdigit()
        with pytest.raises(redis.exceptions.NoScriptError):
            client.evalsha("0" * 40, 0)
        assert client.ping()  # the same connection answers on (EVALSHA → NOSCRIPT → SCRIPT LOAD)
    finally:
        server.stop()
