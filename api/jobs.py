"""Every background job, declared once; and the table of periodic work the clock reads.

A declaration carries the job's queue, the dotted path of its function (the worker resolves it; domain code
never imports `workers`), how often RQ retries it and after how long, and what runs when the last attempt
failed. Domain code records a call in the outbox with the change that needs it (`outbox.add(CLASSIFY_PHOTO
(media_id))`); the outbox row keeps the queue, path, retries and intervals, so a sweep hours later hands it
over exactly as declared.

Periodic work is a table of (name, interval, job): `python -m workers.schedule` enqueues each job when it is
due and runs nothing itself, so a long run (a bill run, a large overdue scan) never delays the outbox sweep.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.config import get_config

CLASSIFY = "classify"  # served by one non-forking worker that keeps the image backbone loaded
DEFAULT = "default"
NOTIFY = "notify"  # outbound messages: WeChat subscribe messages, 12345 answers
MEDIA = "media"  # photo copies: a non-forking worker (a fork per job costs more than the job)
CHECK = "check"  # content checks: one job keeps many WeChat calls in flight (api/citizen/checks.py)
RECEIPTS = "receipts"  # prepare, issue, reverse: a non-forking worker with the CJK font registered once
QUEUES = (CLASSIFY, DEFAULT, NOTIFY, MEDIA, CHECK, RECEIPTS)


@dataclass(frozen=True)
class Job:
    name: str
    queue: str
    func: str  # dotted path, resolved by the worker
    retries: int = 0  # RQ retries after the first attempt
    intervals: str | tuple[int, ...] = (5, 30)  # seconds between retries, or the config setting that holds them
    on_failure: str | None = None  # dotted path, called when the last attempt failed
    coalesce: bool = False  # a job that drains a backlog: while one run is queued, more calls add nothing

    def __call__(self, *args) -> JobCall:
        return JobCall(self, args)

    def retry_intervals(self) -> list[int]:
        if isinstance(self.intervals, str):
            return list(getattr(get_config(), self.intervals))
        return list(self.intervals)

    def paths(self) -> tuple[str, ...]:
        return (self.func, self.on_failure) if self.on_failure else (self.func,)


@dataclass(frozen=True)
class JobCall:
    """One call of a declared job: what the outbox records."""

    job: Job
    args: tuple


# -- jobs that follow a change (through the outbox) -----------------------------------------------------
SEND_NOTIFICATION = Job("send_notification", NOTIFY, "workers.send_notification.send_notification", retries=3,
                        intervals="NOTIFY_RETRY_INTERVALS", on_failure="workers.send_notification.on_final_failure")
CLASSIFY_PHOTO = Job("classify_photo", CLASSIFY, "workers.intake.classify_photo", retries=3,
                     intervals="INTAKE_RETRY_INTERVALS", on_failure="workers.intake.on_final_failure")
ROUTE_REPORT = Job("route_report", CLASSIFY, "workers.intake.route_report", retries=3,
                   intervals="INTAKE_RETRY_INTERVALS", on_failure="workers.intake.on_final_failure")
# suggestions only, for a case no citizen reported through WeChat (an Open311 filing): a person decides
SUGGEST_CASE = Job("suggest_case", CLASSIFY, "workers.intake.suggest_case", retries=3,
                   intervals="INTAKE_RETRY_INTERVALS")
DISPATCH_CASE = Job("dispatch_case", DEFAULT, "workers.intake.dispatch_case", retries=3,
                    intervals="INTAKE_RETRY_INTERVALS", on_failure="workers.intake.on_final_failure")
CHECK_CONTENT = Job("check_content", CHECK, "workers.content_check.check_content", coalesce=True)
MAKE_PHOTO_DERIVATIVES = Job("make_photo_derivatives", MEDIA, "workers.make_photo_derivatives.make_photo_derivatives",
                             coalesce=True)  # every photo still waiting for its copies (api/media/derivatives.py)
ANSWER_HOTLINE = Job("answer_hotline", NOTIFY, "workers.answer_hotline.answer_hotline", retries=5,
                     intervals="NOTIFY_RETRY_INTERVALS", on_failure="workers.answer_hotline.on_final_failure")
SUBMIT_REFUND = Job("submit_refund", DEFAULT, "workers.billing.submit_refund", retries=4,
                    intervals="PAY_RETRY_INTERVALS")  # an approved refund stays approved until WeChat takes it
PREPARE_RECEIPTS = Job("prepare_receipts", RECEIPTS, "workers.billing.prepare_receipts", retries=3)
# after a refund: 红冲 and re-issue; the last failure is marked on the refund for the billing heads
REVERSE_RECEIPTS = Job("reverse_receipts", RECEIPTS, "workers.billing.reverse_receipts", retries=4,
                       intervals="PAY_RETRY_INTERVALS", on_failure="workers.billing.on_reversal_failure")
ISSUE_RECEIPT = Job("issue_receipt", RECEIPTS, "workers.billing.issue_receipt", retries=4,
                    intervals="PAY_RETRY_INTERVALS")  # the platform away longer: the sweep asks again
BILL_RUN = Job("bill_run", DEFAULT, "workers.billing.bill_run")  # a period's run, queued by staff (idempotent)
ALERT_GAS_REPAIR = Job("alert_gas_repair", NOTIFY, "workers.gas.alert_gas_repair", retries=5,
                       intervals="NOTIFY_RETRY_INTERVALS", on_failure="workers.gas.on_alert_failure")  # a leak

# -- periodic work (enqueued by the clock) ---------------------------------------------------------------
OUTBOX_SWEEP = Job("outbox_sweep", DEFAULT, "workers.periodic.outbox_sweep")
PURGE_DRAFTS = Job("purge_drafts", DEFAULT, "workers.periodic.purge_drafts")
OVERDUE_SCAN = Job("overdue_scan", DEFAULT, "workers.periodic.overdue_scan")
DEVICE_SILENCE = Job("device_silence", DEFAULT, "workers.periodic.device_silence")
MONTHLY_BILL_RUN = Job("monthly_bill_run", DEFAULT, "workers.billing.monthly_bill_run")
BILL_REMINDERS = Job("bill_reminders", NOTIFY, "workers.billing.bill_reminders")
GAS_VISIT_NOTICES = Job("gas_visit_notices", NOTIFY, "workers.gas.visit_notices")  # residents told in advance
PAY_SWEEP = Job("pay_sweep", DEFAULT, "workers.billing.pay_sweep")  # late or lost notifies, expired orders
RECONCILE = Job("reconcile", DEFAULT, "workers.billing.reconcile_yesterday")
FOLD_ARREARS = Job("fold_arrears", DEFAULT, "workers.billing.fold_arrears")


@dataclass(frozen=True)
class Periodic:
    job: Job
    every_s: int


PERIODIC = (
    Periodic(OUTBOX_SWEEP, 5),  # hands over what Redis missed at commit time
    Periodic(CHECK_CONTENT, 5),  # checks whose retry time has come
    Periodic(MAKE_PHOTO_DERIVATIVES, 30),  # copies whose lease ran out (a failure, a dead worker), lost nudges
    Periodic(PURGE_DRAFTS, 600),
    Periodic(OVERDUE_SCAN, 60),
    Periodic(DEVICE_SILENCE, 60),
    Periodic(MONTHLY_BILL_RUN, 3600),  # bills the month once, from BILL_RUN_DAY; resumes a run cut off
    Periodic(BILL_REMINDERS, 3600),
    Periodic(GAS_VISIT_NOTICES, 3600),
    Periodic(PAY_SWEEP, 60),
    Periodic(RECONCILE, 3600),  # yesterday's trade bill, once WeChat has it (RECONCILE_AFTER_HOUR)
    Periodic(FOLD_ARREARS, 60),  # the arrears rollup's deltas (exact meanwhile: the report reads both)
)

# Every job declared above, by name: derived, so a declaration cannot be left out of it.
JOBS: dict[str, Job] = {value.name: value for value in dict(globals()).values() if isinstance(value, Job)}
