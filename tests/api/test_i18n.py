"""Error answers speak Chinese unless the request prefers English; codes, field names and values never change."""

import pytest

from tests.support import citizen_login

EN = {"Accept-Language": "en-US,en;q=0.9"}


def error_of(response) -> dict:
    return response.json["error"]


def test_a_domain_error_is_chinese_by_default_and_english_on_request(client):
    chinese = client.get("/reports")
    english = client.get("/reports", headers=EN)
    assert chinese.status_code == english.status_code == 401
    assert error_of(chinese)["code"] == error_of(english)["code"] == "TOKEN_MISSING"
    assert error_of(chinese)["message"] == "请先登录。"
    assert error_of(english)["message"] == "An Authorization: Bearer token is required."
    assert chinese.headers["Content-Language"] == "zh-Hans" and english.headers["Content-Language"] == "en"
    assert "Accept-Language" in chinese.headers["Vary"]


@pytest.mark.parametrize("header", ["zh-CN,zh;q=0.9,en;q=0.8", "fr-FR", "en;q=0.2, zh;q=0.8", "*"])
def test_a_request_that_does_not_prefer_english_gets_chinese(client, header):
    response = client.get("/reports", headers={"Accept-Language": header})
    assert error_of(response)["message"] == "请先登录。" and response.headers["Content-Language"] == "zh-Hans"


def test_field_messages_are_translated_with_their_values_kept(client, wechat, db_session):
    alice = citizen_login(client, wechat, "o-i18n")
    chinese = client.get("/reports?page_size=1000&page=0", headers=alice)
    english = client.get("/reports?page_size=1000&page=0", headers={**alice, **EN})
    assert chinese.status_code == english.status_code == 400
    assert error_of(chinese)["code"] == error_of(english)["code"] == "VALIDATION_ERROR"
    assert error_of(chinese)["message"] == "参数有误，请核对后重新提交。"
    assert error_of(english)["message"] == "The request is not valid; see details."
    assert error_of(chinese)["details"]["fields"] == {"page_size": ["须在 1 到 100 之间。"],
                                                      "page": ["须在 1 到 10000 之间。"]}
    assert error_of(english)["details"]["fields"] == {
        "page_size": ["Must be greater than or equal to 1 and less than or equal to 100."],
        "page": ["Must be greater than or equal to 1 and less than or equal to 10000."]}


def test_required_and_unknown_fields_are_told_in_chinese(client):
    response = client.post("/auth/wechat-login", json={"login_code": "x"})
    assert response.status_code == 400 and error_of(response)["code"] == "VALIDATION_ERROR"
    assert error_of(response)["details"]["fields"] == {"code": ["该项为必填项。"], "login_code": ["不支持该字段。"]}


def test_our_own_input_rules_are_told_in_chinese(client):
    stored_nul = client.post("/auth/wechat-login", json={"code": "a\u0000b"})
    assert error_of(stored_nul)["code"] == "VALIDATION_ERROR"
    assert error_of(stored_nul)["details"]["fields"] == {"code": ["文本不能包含空字符（NUL）"]}
    not_json = client.post("/auth/wechat-login", data='{"code": NaN}', content_type="application/json")
    assert error_of(not_json)["code"] == "INVALID_JSON"
    assert error_of(not_json)["message"] == "请求内容不是有效的 JSON 格式。"
    assert error_of(not_json)["details"] == {"reason": "NaN 不是有效的 JSON 数字"}


def test_framework_errors_are_translated_too(client):
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and error_of(missing)["code"] == "NOT_FOUND"
    assert error_of(missing)["message"] == "您访问的地址不存在，请检查后重试。"
    english = client.get("/no-such-page", headers={"Accept-Language": "en"})
    assert error_of(english)["message"].startswith("The requested URL was not found on the server.")


@pytest.mark.parametrize("header, expected", [(None, "案件不存在。"), ("en", "No such case.")])
def test_flask_babel_agrees_with_the_request_locale_and_force_locale_overrides_it(app, header, expected):
    import flask_babel

    from api import i18n

    headers = {"Accept-Language": header} if header else {}
    with app.test_request_context("/", headers=headers):
        assert flask_babel.gettext("No such case.") == i18n.gettext("No such case.") == expected
        with i18n.force_locale("zh"):
            assert flask_babel.gettext("No such case.") == i18n.translate("No such case.") == "案件不存在。"
        assert str(flask_babel.get_locale()) == ("en" if header else "zh")
