"""Storage backends: local directory, and S3 against moto's server mode on a real port."""

import pytest
import requests

from api.media.storage import LocalStorage, S3Storage


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(s3_endpoint):
    storage = S3Storage(bucket="test-media", endpoint_url=s3_endpoint, region="us-east-1", access_key="test",
                        secret_key="test")
    storage.client.create_bucket(Bucket="test-media")
    return storage


def test_s3_round_trip_and_presigned_link(s3):
    s3.put("photos/ab/abc.jpg", b"\xff\xd8data", "image/jpeg")
    assert s3.exists("photos/ab/abc.jpg") and s3.get("photos/ab/abc.jpg") == b"\xff\xd8data"
    url = s3.presigned_url("photos/ab/abc.jpg", 60, "image/jpeg")
    response = requests.get(url, timeout=5)
    assert response.status_code == 200 and response.content == b"\xff\xd8data"
    assert response.headers["Content-Type"] == "image/jpeg"
    s3.delete("photos/ab/abc.jpg")
    assert not s3.exists("photos/ab/abc.jpg")


def test_upload_through_the_api_lands_in_s3(client, wechat, db_session, s3):
    import io

    from api.media.storage import set_storage
    from tests.support import BAIYUN_GCJ, citizen_login, jpeg

    set_storage(s3)
    alice = citizen_login(client, wechat, "o-s3")
    report_id = client.post("/reports", json={"description": "井盖缺失", "location": BAIYUN_GCJ},
                            headers=alice).json["id"]
    photo = client.post(f"/reports/{report_id}/photos", data={"photo": (io.BytesIO(jpeg()), "p.jpg")},
                        headers=alice, content_type="multipart/form-data").json
    assert photo["urls"]["original"].startswith(s3.client.meta.endpoint_url)
    assert requests.get(photo["urls"]["original"], timeout=5).status_code == 200


def test_local_storage_refuses_keys_that_escape_the_root(tmp_path):
    storage = LocalStorage(tmp_path)
    with pytest.raises(ValueError):
        storage.put("../evil", b"x", "text/plain")
    storage.put("a/b.bin", b"x", "application/octet-stream")
    assert storage.get("a/b.bin") == b"x" and not list(tmp_path.rglob(".upload-*"))
