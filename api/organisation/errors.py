"""Organisation errors, named as facts."""

from api.errors import NotFound, Unprocessable


class NoGridHere(NotFound):
    code, message = "NO_GRID_HERE", "No unit grid contains this point or lies within 200 m."


class LocationOutsideDistrict(Unprocessable):
    code, message = "LOCATION_OUTSIDE_DISTRICT", "The location is outside Baiyun district."
