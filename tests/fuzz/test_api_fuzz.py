"""Property-based fuzzing of every operation in the OpenAPI document (schemathesis), in-process: no server error,
and every answer conforms to its documented schema. `make fuzz` runs the long version against a running stack.

FUZZ_EXAMPLES (default 6) examples per operation and caller; the seed is fixed so a failure reproduces.
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from api.roles import STAFF_ROLES
from tests.factories.identity import StaffFactory
from tests.support import citizen_login, staff_token

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
SEED = int(os.environ.get("FUZZ_SEED", "2026"))


@pytest.fixture
def citizen(client, wechat, db_session):
    return citizen_login(client, wechat, "o-fuzz")


@pytest.fixture
def admin(db_session):
    """An administrator who also holds every staff role (district-wide), so the fuzzer gets past the role check
    of every staff operation instead of collecting 403s."""
    user = StaffFactory(roles=tuple(sorted(str(r) for r in STAFF_ROLES)))
    db_session.commit()
    return staff_token(user)


def fuzz_every_operation(app, headers: dict) -> list[str]:
    """Each operation of the document with EXAMPLES generated requests (valid and invalid ones); the failures,
    one line each (operation, then what failed)."""
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    failures = []
    # signing out ends the caller's token: those operations go last, so the rest are fuzzed past the role check
    operations = sorted((result.ok() for result in schema.get_all_operations()),
                        key=lambda operation: operation.path.endswith("/sign-out"))
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck),
                  phases=[Phase.explicit, Phase.generate])
        @seed(SEED)
        def run(case):
            response = case.call(headers=headers)
            case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

        try:
            run()
        except Exception as exc:  # noqa: BLE001 - every failing operation is reported, not only the first
            failures.append(f"{operation.label}: {str(exc).strip().splitlines()[0][:300]}")
    return failures


def test_as_a_citizen_no_operation_answers_a_server_error_or_breaks_its_schema(app, citizen):
    assert fuzz_every_operation(app, citizen) == []


def test_as_an_admin_no_operation_answers_a_server_error_or_breaks_its_schema(app, admin):
    assert fuzz_every_operation(app, admin) == []
