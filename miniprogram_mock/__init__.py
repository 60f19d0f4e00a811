"""A local WeChat simulator: the documented mini-program server APIs, WeChat Pay v3 (a direct merchant), and the
e-receipt issuing platform (issuer.py).

The backend reaches it only through wechatpy/wechatpayv3 with their base URLs pointed here.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from miniprogram_mock.paystate import PayMerchant, PayState
from miniprogram_mock.state import State


def create_mock_app(apps: dict[str, str] | None = None, pay: PayMerchant | None = None,
                    issuer_apps: dict[str, str] | None = None, issuer_state: str | Path | None = None,
                    h5: dict | None = None) -> Flask:
    """`apps`: appid → secret pairs the simulator accepts; `pay`: the merchant WeChat Pay serves (none: no Pay);
    `issuer_apps`: app id → secret pairs the e-receipt issuing platform accepts; `issuer_state`: the file where the
    platform keeps its documents and numbering across restarts (none: in memory only); `h5`: what the mini-program
    stand-in at /h5/ is told (`api`: the API's base URL; `district_bbox`, `demo_point_gcj02`, `demo_openid`)."""
    from miniprogram_mock import control, issuer, login, messages, pay_control, security, wxacode
    from miniprogram_mock import h5 as h5_page
    from miniprogram_mock import pay as pay_api

    app = Flask(__name__)
    app.json.ensure_ascii = False
    app.config["H5"] = dict(h5 or {})
    app.extensions["wechat_mock"] = State(apps=dict(apps or {}))
    app.extensions["wechat_pay_mock"] = PayState(merchant=pay)
    app.extensions["issuer_mock"] = issuer.IssuerState(apps=dict(issuer_apps or {}),
                                                       path=Path(issuer_state) if issuer_state else None)
    blueprints = [login.bp, messages.bp, security.bp, wxacode.bp, control.bp, issuer.bp, h5_page.bp]
    if pay is not None:
        blueprints += [pay_api.bp, pay_control.bp]
    for bp in blueprints:
        app.register_blueprint(bp)
    return app
