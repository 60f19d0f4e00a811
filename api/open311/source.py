"""`open311`: a case filed by a registered Open311 client (an app, a hotline platform). It keeps the engine's default
opening — the case waits at the 受理 desk for a person to accept it, the classifier's suggestion shown as usual,
never auto-dispatched: no citizen's openid means no WeChat content check, so a person reads it first."""

from __future__ import annotations

from api.cases.sources import Source, register


class Open311(Source):
    name, label = "open311", "Open311接入"


register(Open311())
