"""Device secrets sealed under the HKDF-derived key (issue 24: one derivation for every key made from SECRET_KEY).

Each stored secret is opened with the old key (SHA-256 of "device-secrets:" + SECRET_KEY) and sealed again with the
new one (HKDF-SHA256, info "suiyun-city:device-secrets": api/config.py `derived_key`); both derivations are written
out here, so this migration does not change when the code does. A secret already under the new key is left as it
is (the upgrade can run again); one that opens under neither stops the upgrade: the database was written under
another SECRET_KEY, and re-sealing it would lose the device. SECRET_KEY comes from the running configuration (flask
db-upgrade, make run) or the environment; a database with no devices needs none. The downgrade seals them back.

Revision ID: 0026_device_secrets_hkdf
Revises: 0025_close_approval
Create Date: 2026-12-06 20:40:00
"""

import base64
import hashlib

import sqlalchemy as sa
from alembic import op
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

revision = '0026_device_secrets_hkdf'
down_revision = '0025_close_approval'
branch_labels = None
depends_on = None


def _secret_key() -> str:
    from api.config import Config, ConfigError, get_config

    try:
        key = get_config().SECRET_KEY
    except ConfigError:
        key = Config.from_env().SECRET_KEY
    if not key:
        raise RuntimeError("SECRET_KEY is needed to re-seal the device secrets: set it as the app runs with it")
    return key


def _keys(secret_key: str) -> tuple[Fernet, Fernet]:
    old = hashlib.sha256(b"device-secrets:" + secret_key.encode()).digest()
    new = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"suiyun-city:device-secrets").derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(old)), Fernet(base64.urlsafe_b64encode(new))


def _reseal(forward: bool) -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, secret_encrypted FROM devices ORDER BY id")).all()
    if not rows:
        return
    old, new = _keys(_secret_key())
    source, target = (old, new) if forward else (new, old)
    for device_id, sealed in rows:
        try:
            plain = source.decrypt(sealed.encode())
        except InvalidToken:
            try:
                target.decrypt(sealed.encode())
                continue  # already under the target key
            except InvalidToken:
                raise RuntimeError(f"device {device_id}: its secret opens under neither key derived from this "
                                   "SECRET_KEY; it was written under another one") from None
        conn.execute(sa.text("UPDATE devices SET secret_encrypted = :sealed WHERE id = :id"),
                     {"sealed": target.encrypt(plain).decode(), "id": device_id})


def upgrade() -> None:
    _reseal(forward=True)


def downgrade() -> None:
    _reseal(forward=False)
