"""The suite leaves no process behind: stopping a child ends its whole process group, even a member that
ignores SIGTERM (as an RQ worker's work-horse or a busy classify worker may)."""

import sys
import time

from tests.support import SPAWNED_GROUPS, group_members, spawn, stop_group

IGNORE = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"
STUBBORN = f"""
import signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c", {IGNORE!r}])
time.sleep(600)
"""


def test_stopping_a_child_ends_its_whole_group():
    proc = spawn([sys.executable, "-c", STUBBORN])
    deadline = time.monotonic() + 10
    while len(group_members(proc.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(group_members(proc.pid)) == 2 and proc.pid in SPAWNED_GROUPS
    stop_group(proc.pid, timeout=0.5, proc=proc)
    assert group_members(proc.pid) == [] and proc.pid not in SPAWNED_GROUPS
