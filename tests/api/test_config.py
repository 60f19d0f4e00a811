import pytest

from api.config import Config, ConfigError

SECRETS = {"SECRET_KEY": "s" * 40, "MEDIA_SIGNING_KEY": "m" * 40, "WECHAT_APPID": "wx1", "WECHAT_SECRET": "x"}


def test_production_refuses_to_start_without_secrets():
    with pytest.raises(ConfigError, match="WECHAT_SECRET"):
        Config.from_env({"ENV": "production", **{k: v for k, v in SECRETS.items() if k != "WECHAT_SECRET"}})


def test_production_refuses_a_local_wechat_base():
    with pytest.raises(ConfigError, match="simulator"):
        Config.from_env({"ENV": "production", **SECRETS, "WECHAT_API_BASE": "http://127.0.0.1:8001/"})


def test_values_are_coerced_from_text():
    config = Config.from_env({**SECRETS, "PHOTO_MAX_BYTES": "1024", "NOTIFY_RETRY_INTERVALS": "1,2,3",
                              "DISTRICT_BBOX": "1,2,3,4"})
    assert config.PHOTO_MAX_BYTES == 1024 and config.NOTIFY_RETRY_INTERVALS == [1, 2, 3]
    assert config.DISTRICT_BBOX == (1.0, 2.0, 3.0, 4.0)


def test_bad_numbers_and_unknown_environments_fail_clearly():
    with pytest.raises(ConfigError, match="PHOTO_MAX_BYTES"):
        Config.from_env({**SECRETS, "PHOTO_MAX_BYTES": "ten"})
    with pytest.raises(ConfigError, match="ENV"):
        Config.from_env({**SECRETS, "ENV": "staging"})


def test_keys_are_derived_by_hkdf_and_signatures_made_before_still_hold():
    """RFC 5869 by hand (extract with a zero salt, one expand block) must give the key the config derives."""
    import hashlib
    import hmac

    config = Config(SECRET_KEY="k" * 40)
    prk = hmac.new(b"\0" * 32, config.SECRET_KEY.encode(), hashlib.sha256).digest()
    okm = hmac.new(prk, b"suiyun-city:receipt-verify" + b"\x01", hashlib.sha256).digest()
    assert config.derived_key("receipt-verify") == okm
    signed = config.signature("receipt-verify", "body")
    assert signed == hmac.new(okm, b"body", hashlib.sha256).hexdigest()[:32]
    old_key = hashlib.sha256(f"{config.SECRET_KEY}:receipt-verify".encode()).digest()
    printed_before = hmac.new(old_key, b"body", hashlib.sha256).hexdigest()[:32]  # on receipts already issued
    assert config.signature_holds("receipt-verify", "body", signed)
    assert config.signature_holds("receipt-verify", "body", printed_before)
    assert not config.signature_holds("receipt-download", "body", signed)  # another purpose's key
    assert not config.signature_holds("receipt-verify", "body2", signed)
    assert not config.signature_holds("receipt-verify", "body", "签名")
