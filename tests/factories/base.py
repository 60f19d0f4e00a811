"""Base factory bound to the scoped session; commits (a savepoint release inside the test transaction)."""

import factory.alchemy

from api.db import Session


class BaseFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = Session
        sqlalchemy_session_persistence = "commit"
