"""Signed device webhooks: per-device HMAC secret, a timestamp window and a single-use nonce.

A device signs  "<X-Timestamp>\\n<X-Nonce>\\n<METHOD>\\n<path>\\n<hex SHA-256 of the body>"  with HMAC-SHA256
under its secret and sends the hex digest as X-Signature. Checked in this order, each failure a 401 with
nothing stored: the device exists and is active, the signature matches (constant-time), the timestamp is
within DEVICE_CLOCK_SKEW_S of ours, and the nonce was not seen within the window (Redis SET NX with a TTL of
twice the window, so a replay inside the window is refused and one outside it is stale anyway).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
import time

from cryptography.fernet import Fernet
from flask import g, request

from api.access import ACCESS_ATTR
from api.config import get_config
from api.devices.errors import DeviceRequestReplayed, DeviceRequestStale, DeviceSignatureInvalid
from api.devices.models import Device
from api.extensions import get_redis

WINDOW_S = 300
NONCE_PREFIX = "device-nonce:"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def _fernet() -> Fernet:
    """Fernet under the key derived for device secrets (HKDF, api/config.py; migration 0026 re-sealed the ones
    stored under the earlier derivation)."""
    return Fernet(base64.urlsafe_b64encode(get_config().derived_key("device-secrets")))


def seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def unseal(sealed: str) -> str:
    return _fernet().decrypt(sealed.encode()).decode()


def string_to_sign(timestamp: str, nonce: str, method: str, path: str, body: bytes) -> bytes:
    return "\n".join([timestamp, nonce, method.upper(), path, hashlib.sha256(body).hexdigest()]).encode()


def sign(secret: str, timestamp: str, nonce: str, method: str, path: str, body: bytes) -> str:
    return hmac.new(secret.encode(), string_to_sign(timestamp, nonce, method, path, body), hashlib.sha256).hexdigest()


def verify(device: Device | None, headers, method: str, path: str, body: bytes, now: float | None = None) -> Device:
    timestamp, nonce = headers.get("X-Timestamp", ""), headers.get("X-Nonce", "")
    signature = headers.get("X-Signature", "")
    if device is None or not device.active or not timestamp or not (8 <= len(nonce) <= 64):
        raise DeviceSignatureInvalid()
    expected = sign(unseal(device.secret_encrypted), timestamp, nonce, method, path, body)
    if not hmac.compare_digest(expected, signature):
        raise DeviceSignatureInvalid()
    try:
        skew = abs((now or time.time()) - int(timestamp))
    except ValueError as exc:
        raise DeviceRequestStale() from exc
    if skew > WINDOW_S:
        raise DeviceRequestStale(details={"window_s": WINDOW_S})
    if not get_redis().set(f"{NONCE_PREFIX}{device.id}:{nonce}", 1, nx=True, ex=2 * WINDOW_S):
        raise DeviceRequestReplayed()
    return device


def device_signed(func):
    """The endpoint is called by a registered device, with a signed request (see the module docstring)."""

    @functools.wraps(func)
    def wrapper(*args, code: str, **kwargs):
        from api.devices import queries

        g.device = verify(queries.by_code(code), request.headers, request.method, request.path,
                          request.get_data(cache=True))
        return func(*args, **kwargs)

    setattr(wrapper, ACCESS_ATTR, frozenset({"device"}))
    return wrapper


def current_device() -> Device:
    return g.device
