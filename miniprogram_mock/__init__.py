"""A local WeChat simulator: the documented mini-program server APIs (and, later, WeChat Pay v3).

The backend reaches it only through wechatpy/wechatpayv3 with their base URLs pointed here.
"""

from __future__ import annotations

from flask import Flask

from miniprogram_mock.state import State


def create_mock_app(apps: dict[str, str] | None = None) -> Flask:
    """`apps`: appid → secret pairs the simulator accepts."""
    from miniprogram_mock import control, login, messages, security, wxacode

    app = Flask(__name__)
    app.json.ensure_ascii = False
    app.extensions["wechat_mock"] = State(apps=dict(apps or {}))
    for bp in (login.bp, messages.bp, security.bp, wxacode.bp, control.bp):
        app.register_blueprint(bp)
    return app
