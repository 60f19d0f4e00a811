"""Citizens and staff."""

import factory
from werkzeug.security import generate_password_hash

from api.identity.models import User, UserRole
from tests.factories.base import BaseFactory


class CitizenFactory(BaseFactory):
    class Meta:
        model = User

    kind = "citizen"
    openid = factory.Sequence(lambda n: f"o-citizen-{n:06d}")
    display_name = ""


# One scrypt hash for every test account (the same password): hashing per account cost ~70 ms each, thousands of
# times a run. Logins in tests still verify against a real werkzeug hash.
PASSWORD_HASH = generate_password_hash("correct horse")


class StaffFactory(BaseFactory):
    class Meta:
        model = User

    class Params:
        roles = ("intake_clerk",)

    kind = "staff"
    username = factory.Sequence(lambda n: f"staff{n}")
    password_hash = PASSWORD_HASH
    display_name = factory.LazyAttribute(lambda o: o.username)
    role_rows = factory.LazyAttribute(lambda o: [UserRole(role=r) for r in o.roles])
