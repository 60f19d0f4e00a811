"""Asset errors, named as facts."""

from api.errors import BadRequest, NotFound


class ImportRejected(BadRequest):
    code, message = "IMPORT_REJECTED", "The file was not imported: nothing was written. See details.errors."


class ComponentNotFound(NotFound):
    code, message = "COMPONENT_NOT_FOUND", "No component with this code."
