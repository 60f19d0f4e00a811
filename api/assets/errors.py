"""Asset errors, named as facts."""

from api.errors import NotFound
from api.imports import ImportRejected  # noqa: F401 - one error for every register import


class ComponentNotFound(NotFound):
    code, message = "COMPONENT_NOT_FOUND", "No component with this code."
