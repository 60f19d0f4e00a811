"""Premises errors, named as facts."""

from api.errors import NotFound
from api.imports import ImportRejected  # noqa: F401 - one error for every register import


class PremisesNotFound(NotFound):
    code, message = "PREMISES_NOT_FOUND", "No premises with this id or code."
