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


class StaffFactory(BaseFactory):
    class Meta:
        model = User

    class Params:
        roles = ("intake_clerk",)

    kind = "staff"
    username = factory.Sequence(lambda n: f"staff{n}")
    password_hash = factory.LazyFunction(lambda: generate_password_hash("correct horse"))
    display_name = factory.LazyAttribute(lambda o: o.username)
    role_rows = factory.LazyAttribute(lambda o: [UserRole(role=r) for r in o.roles])
