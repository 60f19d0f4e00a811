"""A walking order for a day's visits (pure): nearest neighbour from the start, then 2-opt until no reversal of a
stretch shortens the walk. Distances are equirectangular metres — exact enough within a street, and cheap.

Good enough for the 20–60 visits of an inspector's day (2-opt on 60 points is a few thousand comparisons); an
optimal tour is not worth its cost when the inspector may reorder on the spot anyway.
"""

from __future__ import annotations

import math

EARTH_M = 6_371_000.0


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Equirectangular distance between two (lat, lon) points, in metres."""
    mean_lat = math.radians((a[0] + b[0]) / 2)
    dx = math.radians(b[1] - a[1]) * math.cos(mean_lat)
    dy = math.radians(b[0] - a[0])
    return EARTH_M * math.hypot(dx, dy)


def order(points: list[tuple[float, float]], start: tuple[float, float] | None = None) -> list[int]:
    """Indexes of `points` in visiting order, beginning nearest `start` (or at the first point)."""
    if len(points) <= 1:
        return list(range(len(points)))
    here = start if start is not None else points[0]
    left = set(range(len(points)))
    route: list[int] = []
    while left:
        nearest = min(left, key=lambda i: (metres(here, points[i]), i))
        route.append(nearest)
        left.remove(nearest)
        here = points[nearest]
    return _two_opt(route, points, start)


def length(route: list[int], points: list[tuple[float, float]], start: tuple[float, float] | None = None) -> float:
    stops = ([start] if start is not None else []) + [points[i] for i in route]
    return sum(metres(stops[i], stops[i + 1]) for i in range(len(stops) - 1))


def _two_opt(route: list[int], points: list[tuple[float, float]], start) -> list[int]:
    """Reverse route[i..j] while that shortens the open path (the walk does not return to its start)."""
    stops = [start] if start is not None else []
    offset = len(stops)
    path = stops + [points[i] for i in route]
    ids = [None] * offset + list(route)
    improved = True
    while improved:
        improved = False
        for i in range(max(1, offset), len(path) - 1):
            for j in range(i + 1, len(path)):
                before = metres(path[i - 1], path[i]) + (metres(path[j], path[j + 1]) if j + 1 < len(path) else 0)
                after = metres(path[i - 1], path[j]) + (metres(path[i], path[j + 1]) if j + 1 < len(path) else 0)
                if after < before - 1e-6:
                    path[i:j + 1] = reversed(path[i:j + 1])
                    ids[i:j + 1] = reversed(ids[i:j + 1])
                    improved = True
    return [i for i in ids[offset:] if i is not None]
