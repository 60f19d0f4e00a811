"""Organisation errors, named as facts."""

from api.errors import NotFound


class NoGridHere(NotFound):
    code, message = "NO_GRID_HERE", "No unit grid contains this point or lies within 200 m."
