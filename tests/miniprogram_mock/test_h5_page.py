"""The stand-in's page as served (its CSP, its settings, its vendored files), and the API's CORS: the page's origin
only, in development only, never "*" and never on the console."""

import dataclasses

import pytest
import requests

from api import create_app
from api.config import Config, ConfigError


def test_the_page_is_served_with_a_policy_that_names_the_api(mock_server, api_port):
    page = requests.get(mock_server.url + "h5/", timeout=5)
    assert page.status_code == 200 and '<html lang="zh-CN">' in page.text
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and f"connect-src 'self' http://127.0.0.1:{api_port};" in policy
    assert "frame-ancestors 'none'" in policy and page.headers["Referrer-Policy"] == "no-referrer"
    assert requests.get(mock_server.url + "h5", timeout=5, allow_redirects=False).headers["Location"].endswith("/h5/")
    settings = requests.get(mock_server.url + "h5/config.json", timeout=5).json()
    assert settings["api"] == f"http://127.0.0.1:{api_port}" and "tmpl-report-progress" in settings["templates"]
    assert len(settings["district_bbox"]) == 4
    assert requests.get(mock_server.url + "h5/vendor/jsqr/jsQR.js", timeout=5).status_code == 200
    assert requests.get(mock_server.url + "h5/vendor/manifest.json", timeout=5).status_code == 404
    assert requests.get(mock_server.url + "h5/static/../__init__.py", timeout=5).status_code == 404


def test_the_api_answers_the_pages_origin_and_no_other(client, config):
    page = config.CORS_ORIGINS
    asked = client.options("/reports", headers={"Origin": page, "Access-Control-Request-Method": "POST",
                                                "Access-Control-Request-Headers": "authorization,idempotency-key"})
    assert asked.headers["Access-Control-Allow-Origin"] == page
    assert {"authorization", "idempotency-key"} <= {h.strip().lower() for h in
                                                     asked.headers["Access-Control-Allow-Headers"].split(",")}
    assert "Access-Control-Allow-Credentials" not in asked.headers  # tokens, never cookies
    stranger = client.get("/reports/categories", headers={"Origin": "http://evil.example"})
    assert "Access-Control-Allow-Origin" not in stranger.headers
    console = client.get("/console/sign-in", headers={"Origin": page})
    assert "Access-Control-Allow-Origin" not in console.headers  # the console is same-origin only


def test_without_cors_origins_no_browser_origin_is_answered(config):
    plain = create_app(dataclasses.replace(config, CORS_ORIGINS="")).test_client()
    answer = plain.get("/reports/categories", headers={"Origin": config.CORS_ORIGINS})
    assert answer.status_code == 200 and "Access-Control-Allow-Origin" not in answer.headers


@pytest.mark.parametrize(("origins", "env", "message"), [
    ("*", "development", "is not an origin"),
    ("http://127.0.0.1:8001/h5/", "development", "is not an origin"),
    ("http://127.0.0.1:8001", "production", "production answers no browser origin"),
])
def test_cors_origins_are_origins_and_never_for_production(origins, env, message):
    with pytest.raises(ConfigError, match=message):
        Config(ENV=env, CORS_ORIGINS=origins, SECRET_KEY="k" * 40, MEDIA_SIGNING_KEY="m" * 40).check()
