"""Where a report creation's CPU goes: py-spy on the API's gunicorn workers under the creation load.

Run with `make profile-creation` (py-spy is not a project dependency: the target installs it outside the
virtualenv, under var/py-spy). The stack is the report-upload benchmark's (bench/report_upload.py: gunicorn with
gunicorn.conf.py, 4 workers, the content-check worker and the WeChat simulator alongside, WeChat at 0 ms), loaded
by wrk (-c16) for SECONDS. During the load py-spy samples the workers' GIL-holding threads (`--gil`: the Python
CPU, not threads waiting on PostgreSQL) twice in a row: once as collapsed stacks, for the table this prints, once
as a flame graph (SVG, into BENCH_PROFILE_DIR, default var/profiles). The table: each phase's share of the
samples and that share of the web processes' measured CPU per creation (from /proc), and the CPU per creation of
every other process kind on the machine.
"""

from __future__ import annotations

import collections
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from harness import ROOT, Stack, wrk
from report_upload import CREATE_LUA, USERS

SECONDS = int(os.environ.get("BENCH_DURATION", "50"))
SAMPLE_S = 20
OUT = Path(os.environ.get("BENCH_PROFILE_DIR", ROOT / "var" / "profiles"))
LABEL = os.environ.get("BENCH_PROFILE_LABEL", "creation")
PYSPY = os.environ.get("PYSPY") or shutil.which("py-spy") or str(ROOT / "var" / "py-spy" / "bin" / "py-spy")
# A frame whose text contains the pattern puts the sample in the phase (a sample can be in several).
PHASES = {
    "the request (Flask, in the unit of work)": "full_dispatch_request",
    "authentication (token, user)": "authenticate (api/access.py",
    "  of which the user lookup": "get_active_user (api/identity",
    "argument parsing (webargs + marshmallow load)": "Parser.parse (webargs",
    "reports.create_draft (INSERT report, INSERT event)": "create_draft (api/reports",
    "the commit": "commit (sqlalchemy/orm/session.py",
    "the pool's pre-ping": "do_ping (sqlalchemy",
    "outbox nudges after commit": "_send_nudges (api/outbox",
    "the answer: report_view": "report_view (api/citizen",
    "the answer: marshmallow dump": "Schema.dump (marshmallow",
    "gunicorn's HTTP parsing": "gunicorn/http/",
}
KINDS = (("miniprogram_mock", "WeChat simulator"), ("wsgi:app", "web (gunicorn)"), ("workers.worker", "check worker"),
         ("postgres", "PostgreSQL"), ("redis-server", "Redis"), ("wrk", "wrk"))


def cpu_seconds() -> dict[str, float]:
    """CPU seconds so far of every process, by kind (children a process reaped included)."""
    tick, seconds = os.sysconf("SC_CLK_TCK"), collections.Counter()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        kind = next((name for needle, name in KINDS if needle in command), "other")
        seconds[kind] += sum(int(f) for f in fields[11:15]) / tick
    return seconds


def spy(pid: int, fmt: str, path: Path) -> None:
    subprocess.run([PYSPY, "record", "--pid", str(pid), "--subprocesses", "--gil", "--rate", "100", "--duration",
                    str(SAMPLE_S), "--format", fmt, "--output", str(path), "--nonblocking"],
                   check=True, capture_output=True)


def shares(collapsed: Path) -> tuple[int, dict[str, float]]:
    total, hits = 0, collections.Counter()
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        total += int(count)
        for phase, needle in PHASES.items():
            if needle in stack:
                hits[phase] += int(count)
    return total, {phase: hits[phase] / total for phase in PHASES} if total else {}


def main() -> None:
    if not Path(PYSPY).exists() and not shutil.which(PYSPY):
        sys.exit("py-spy is needed: make profile-creation installs it under var/py-spy")
    OUT.mkdir(parents=True, exist_ok=True)
    with Stack(workers=4, env={"LOGIN_MAX_PER_IP_PER_MIN": "1000000"}) as stack:
        stack.start_api()
        master = stack.procs[-1].pid
        stack.start_workers("check", simple=True)
        tokens = [stack.citizen_token(f"bench-{n}") for n in range(USERS)]
        (stack.work / "tokens.txt").write_text("\n".join(tokens) + "\n")
        time.sleep(5)  # the check worker has started
        load = {}
        runner = threading.Thread(target=lambda: load.update(wrk(
            stack, CREATE_LUA % {"tokens": stack.work / "tokens.txt"}, duration=SECONDS, connections=16)))
        before, started = cpu_seconds(), time.time()
        runner.start()
        time.sleep(3)
        spy(master, "raw", OUT / f"{LABEL}.txt")
        spy(master, "flamegraph", OUT / f"{LABEL}.svg")
        runner.join()
        after, elapsed = cpu_seconds(), time.time() - started
    created = load["rate"] * SECONDS
    per_creation = {kind: (after[kind] - before[kind]) / created * 1000 for kind in after}
    total, phase_share = shares(OUT / f"{LABEL}.txt")
    web = per_creation.get("web (gunicorn)", 0.0)
    print(f"\ncreation profile ({LABEL}) — {os.cpu_count()} CPUs, wrk -c16 -d{SECONDS}s, WeChat at 0 ms: "
          f"{load['rate']:.1f}/s, p50 {load['p50']} ms, p99 {load['p99']} ms; {total} samples")
    print("  CPU per creation by process (ms): " + ", ".join(
        f"{kind} {ms:.2f}" for kind, ms in sorted(per_creation.items(), key=lambda kv: -kv[1]) if ms >= 0.005)
          + f" — {sum(per_creation.values()):.2f} in all, over {elapsed:.0f} s")
    for phase, share in phase_share.items():
        print(f"  {phase:<52} {share * 100:5.1f} % of the web's samples ≈ {share * web:.2f} ms a creation")
    print(f"  flame graph: {OUT / (LABEL + '.svg')}")


if __name__ == "__main__":
    main()
