"""Taxonomy errors, named as facts."""

from api.errors import BadRequest, Conflict, NotFound


class CategoryNotFound(NotFound):
    code, message = "CATEGORY_NOT_FOUND", "No such category."


class CategoryVersionConflict(Conflict):
    code, message = "CATEGORY_VERSION_CONFLICT", "The category was changed since you read it; reload and retry."


class CategoryExists(Conflict):
    code, message = "CATEGORY_EXISTS", "A category with this code exists; edit it instead."


class NothingChanged(BadRequest):
    code, message = "NOTHING_CHANGED", "The edit changes nothing."
