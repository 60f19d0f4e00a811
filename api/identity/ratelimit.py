"""Fixed-window counters in Redis for login attempts."""

from __future__ import annotations

import logging

import redis

from api.extensions import get_redis

log = logging.getLogger(__name__)


def hit(key: str, window_s: int) -> int:
    """Count one attempt in the current window and return the count (0 when Redis is unreachable).

    Failing open is deliberate: a Redis outage must not lock every citizen out of login.
    """
    try:
        pipe = get_redis().pipeline()
        pipe.incr(f"ratelimit:{key}")
        pipe.expire(f"ratelimit:{key}", window_s, nx=True)
        count, _ = pipe.execute()
        return int(count)
    except redis.RedisError:
        log.warning("rate limiter unavailable; allowing the attempt", extra={"key": key})
        return 0


def count(key: str) -> int:
    try:
        value = get_redis().get(f"ratelimit:{key}")
    except redis.RedisError:
        return 0
    return int(value or 0)


def ttl(key: str) -> int:
    try:
        return max(1, int(get_redis().ttl(f"ratelimit:{key}")))
    except redis.RedisError:
        return 1


def reset(key: str) -> None:
    try:
        get_redis().delete(f"ratelimit:{key}")
    except redis.RedisError:
        pass


def block(key: str, seconds: int) -> None:
    """Refuse for `seconds` (a back-off); fails open like hit()."""
    try:
        get_redis().set(f"ratelimit:{key}", 1, ex=max(1, int(seconds)))
    except redis.RedisError:
        log.warning("rate limiter unavailable; not blocking", extra={"key": key})


def blocked(key: str) -> bool:
    try:
        return bool(get_redis().exists(f"ratelimit:{key}"))
    except redis.RedisError:
        return False


def reset_matching(pattern: str) -> None:
    try:
        connection = get_redis()
        for name in connection.scan_iter(f"ratelimit:{pattern}", count=500):
            connection.delete(name)
    except redis.RedisError:
        pass
