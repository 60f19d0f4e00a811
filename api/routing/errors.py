"""Routing errors, named as facts."""

from api.errors import BadRequest, NotFound


class RuleNotFound(NotFound):
    code, message = "RESPONSIBILITY_NOT_FOUND", "No such responsibility rule."


class UnknownDepartment(BadRequest):
    code, message = "UNKNOWN_DEPARTMENT", "No department with this code."


class UnknownStreet(BadRequest):
    code, message = "UNKNOWN_STREET", "Not a street or town of the district."


class NoOwner(NotFound):
    code, message = "NO_RESPONSIBLE_UNIT", "No department and no street office could be found."
