"""The device signature: what is signed, the window edges, and the order of the checks."""

import pytest

from api.devices import auth
from api.devices.errors import DeviceRequestReplayed, DeviceRequestStale, DeviceSignatureInvalid
from api.devices.models import Device

SECRET = "s3cret-" + "x" * 30
NOW = 1_764_036_000


@pytest.fixture
def device(app):
    return Device(id=7, code="CAM-1", kind="camera", active=True, secret_encrypted=auth.seal(SECRET))


def headers(timestamp=NOW, nonce="nonce-123456", body=b"{}", path="/devices/CAM-1/heartbeat", secret=SECRET):
    return {"X-Timestamp": str(timestamp), "X-Nonce": nonce,
            "X-Signature": auth.sign(secret, str(timestamp), nonce, "POST", path, body)}


def test_the_string_to_sign_covers_time_nonce_method_path_and_body():
    signed = auth.string_to_sign("1", "n", "post", "/devices/x/readings", b"{}")
    assert signed == b"1\nn\nPOST\n/devices/x/readings\n" + \
        b"44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"


@pytest.mark.parametrize("skew", [-300, 300])
def test_the_window_edges_are_accepted(device, skew):
    assert auth.verify(device, headers(timestamp=NOW + skew, nonce=f"edge-{skew}-nonce"), "POST",
                       "/devices/CAM-1/heartbeat", b"{}", now=NOW) is device


@pytest.mark.parametrize("skew", [-301, 301])
def test_beyond_the_window_is_stale(device, skew):
    with pytest.raises(DeviceRequestStale):
        auth.verify(device, headers(timestamp=NOW + skew, nonce=f"stale-{skew}-n"), "POST",
                    "/devices/CAM-1/heartbeat", b"{}", now=NOW)


def test_a_nonce_is_single_use_but_only_after_the_signature_checks(device):
    with pytest.raises(DeviceSignatureInvalid):  # a forged request does not burn the nonce
        auth.verify(device, headers(nonce="once-only-1", secret="wrong"), "POST", "/devices/CAM-1/heartbeat",
                    b"{}", now=NOW)
    auth.verify(device, headers(nonce="once-only-1"), "POST", "/devices/CAM-1/heartbeat", b"{}", now=NOW)
    with pytest.raises(DeviceRequestReplayed):
        auth.verify(device, headers(nonce="once-only-1"), "POST", "/devices/CAM-1/heartbeat", b"{}", now=NOW)


@pytest.mark.parametrize("change", ["path", "body", "short_nonce", "inactive", "no_device"])
def test_anything_else_is_an_invalid_signature(device, change):
    h, path, body, dev = headers(nonce=f"n-{change}-123"), "/devices/CAM-1/heartbeat", b"{}", device
    if change == "path":
        path = "/devices/CAM-2/heartbeat"
    elif change == "body":
        body = b'{"x":1}'
    elif change == "short_nonce":
        h = headers(nonce="short")
    elif change == "inactive":
        device.active = False
    else:
        dev = None
    with pytest.raises(DeviceSignatureInvalid):
        auth.verify(dev, h, "POST", path, body, now=NOW)


def test_secrets_are_sealed_at_rest(device):
    assert SECRET not in device.secret_encrypted and auth.unseal(device.secret_encrypted) == SECRET
