"""The console's page tests: the case engine's small district (tests/api/cases), and a signed-in browser-less
client per person (Flask's test client keeps each one's cookie)."""

import re

import pytest

from tests.api.cases.conftest import world  # noqa: F401 - the district, its staff and a citizen
from tests.factories.identity import StaffFactory

PASSWORD = "correct horse"  # every test account's (tests/factories/identity.py)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(page) -> str:
    return CSRF.search(page.get_data(as_text=True)).group(1)


def sign_in(app, user, password: str = PASSWORD):
    """A test client signed in as `user` (through the form, CSRF token and all)."""
    client = app.test_client()
    token = csrf_of(client.get("/console/sign-in"))
    answer = client.post("/console/sign-in", data={"username": user.username, "password": password,
                                                   "csrf_token": token})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return client


def post(client, path: str, data: dict | None = None, **kwargs):
    """A console form: the CSRF token taken from the page the form is on (the case page, or the desk)."""
    page_path = re.sub(r"/(?:[a-z-]+|photos)$", "", path) if "/cases/" in path else "/console/"
    token = csrf_of(client.get(page_path, follow_redirects=True))
    return client.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)


def text(answer) -> str:
    return answer.get_data(as_text=True)


@pytest.fixture
def consoles(app, world):  # noqa: F811 - the fixture imported above
    """One signed-in client per person of the world."""
    return {name: sign_in(app, user) for name, user in world["staff"].items()}


@pytest.fixture
def street_clerk(db_session):
    """An intake clerk of a street (三元里), who sees that street's cases only."""
    user = StaffFactory(roles=("intake_clerk",), scope_division_code="440111002000")
    db_session.commit()
    return user
