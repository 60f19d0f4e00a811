"""`make fuzz`: schemathesis against a running stack, every operation of the OpenAPI document, as a citizen and
as an administrator who holds every staff role.

Gunicorn + PostgreSQL (throwaway database) + Redis + the simulator, demo data seeded (bench/harness.py). Checks:
no server error, every response conforms to its documented schema. Fixed seed, FUZZ_EXAMPLES examples per
operation (default 60), at most FUZZ_MAX_TIME seconds per caller (default 240: both within 10 minutes). Exits
non-zero on any failure; schemathesis prints a reproducing curl for each.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from harness import Stack  # noqa: E402

EXAMPLES = os.environ.get("FUZZ_EXAMPLES", "60")
MAX_TIME = os.environ.get("FUZZ_MAX_TIME", "240")
SEED = os.environ.get("FUZZ_SEED", "2026")
SIGN_OUT = r"/sign-out$"


def main() -> int:
    from api.roles import STAFF_ROLES

    with Stack(workers=2) as stack:
        stack.seed()
        stack.start_api()
        callers = {"citizen": stack.citizen_token("o-fuzz-citizen"),
                   "admin (every staff role)": stack.staff_token("fuzz-admin", {str(r) for r in STAFF_ROLES})}
        failed = []
        # Signing out ends the caller's token: those operations run after all the others, in a pass of their own.
        passes = (("--exclude-path-regex", SIGN_OUT, MAX_TIME), ("--include-path-regex", SIGN_OUT, "30"))
        for name, token in callers.items():
            sys.stdout.write(f"\n=== fuzzing as {name}: {EXAMPLES} examples per operation, seed {SEED}\n")
            sys.stdout.flush()
            for option, pattern, max_time in passes:
                run = subprocess.run([str(Path(sys.executable).parent / "schemathesis"), "run",
                                      f"{stack.api}/openapi.json", option, pattern,
                                      "--checks", "not_a_server_error,response_schema_conformance",
                                      "--seed", SEED, "--max-examples", EXAMPLES, "--max-time", max_time,
                                      "--phases", "examples,coverage,fuzzing", "--workers", "1", "--no-color",
                                      "--generation-with-security-parameters", "false",
                                      "--header", f"Authorization: Bearer {token}"], cwd=ROOT)
                if run.returncode != 0:
                    failed.append(name)
        verdict = "failures as " + ", ".join(failed) if failed else "no server error, no schema violation"
        sys.stdout.write(f"\nfuzz: {verdict}\n")
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
