"""Premises errors, named as facts."""

from api.errors import BadRequest, NotFound


class ImportRejected(BadRequest):
    code, message = "IMPORT_REJECTED", "The file was not imported: nothing was written. See details.errors."


class PremisesNotFound(NotFound):
    code, message = "PREMISES_NOT_FOUND", "No premises with this id or code."
