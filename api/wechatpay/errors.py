"""What a WeChat Pay call can end in, besides an answer."""

from __future__ import annotations


class PayError(Exception):
    pass


class PayNotConfigured(PayError):
    pass


class PayUnavailable(PayError):
    """Transport error, 5xx, 429 or an answer whose signature did not verify: the same call may work later."""


class BillUnverified(PayUnavailable):
    """WeChat's trade bill never matched its hash_value (SHA1 of the decompressed file): not to be read as data."""


class PayRefused(PayError):
    """WeChat answered 4xx with its own code (ORDERPAID, NOT_ENOUGH, ORDER_NOT_EXIST …)."""

    def __init__(self, what: str, status: int, code: str, message: str):
        super().__init__(f"{what}: HTTP {status} {code} {message}")
        self.status, self.code, self.message = status, code, message


class NotifyRefused(PayError):
    """A notify that credits nothing: verdict is probe | forged | stale | malformed (kept for billing staff)."""

    def __init__(self, verdict: str, detail: str, *, signed_at: int | None = None):
        super().__init__(f"{verdict}: {detail}")
        self.verdict, self.detail, self.signed_at = verdict, detail, signed_at
