"""0026 re-seals device secrets stored under the first key derivation with the HKDF-derived key: a device
registered before the upgrade still signs in after it; running the upgrade again changes nothing."""

import base64
import hashlib

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from api.devices import auth
from api.migrate import alembic_config, upgrade

ROW = ("INSERT INTO devices (id, code, kind, name, detects, lat, lon, secret_encrypted, expected_interval_s, active, "
       "created_at) VALUES (:id, :code, 'camera', '测试摄像头', '[]', 23.16, 113.26, :sealed, 600, true, now())")


def test_secrets_sealed_under_the_old_key_open_under_the_new_one(config, empty_database):
    url, engine = empty_database
    old = Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"device-secrets:" + config.SECRET_KEY.encode()).digest()))
    upgrade(url, "0025_close_approval")
    with engine.begin() as conn:
        for device_id, secret in ((1, "s3cret-one"), (2, "s3cret-two")):
            conn.execute(sa.text(ROW), {"id": device_id, "code": f"CAM-{device_id}",
                                        "sealed": old.encrypt(secret.encode()).decode()})
    upgrade(url)

    def stored() -> dict[int, str]:
        with engine.connect() as conn:
            return dict(conn.execute(sa.text("SELECT id, secret_encrypted FROM devices")).all())

    after = stored()
    assert {device_id: auth.unseal(sealed) for device_id, sealed in after.items()} == {1: "s3cret-one",
                                                                                        2: "s3cret-two"}
    from alembic import command

    command.downgrade(alembic_config(url), "0025_close_approval")  # and back: the old key opens them again
    assert {i: old.decrypt(s.encode()).decode() for i, s in stored().items()} == {1: "s3cret-one", 2: "s3cret-two"}
    upgrade(url)
    upgrade(url)  # at head: nothing to do
    assert {i: auth.unseal(s) for i, s in stored().items()} == {1: "s3cret-one", 2: "s3cret-two"}


def test_a_secret_written_under_another_secret_key_stops_the_upgrade(config, empty_database):
    url, engine = empty_database
    upgrade(url, "0025_close_approval")
    stranger = Fernet(Fernet.generate_key())
    with engine.begin() as conn:
        conn.execute(sa.text(ROW), {"id": 1, "code": "CAM-1", "sealed": stranger.encrypt(b"x").decode()})
    with pytest.raises(RuntimeError, match="opens under neither key"):
        upgrade(url)
