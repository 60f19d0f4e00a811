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
    """Reverse route[i..j] while that shortens the open path (the walk does not return to its start); distances
    computed once into a matrix."""
    stops = ([start] if start is not None else []) + [points[i] for i in route]
    ids = ([None] if start is not None else []) + list(route)
    n = len(stops)
    d = [[metres(a, b) for b in stops] for a in stops]
    order = list(range(n))  # positions into stops/ids, rearranged
    first = 1 if start is not None else 0
    improved = True
    while improved:
        improved = False
        for i in range(max(1, first), n - 1):
            for j in range(i + 1, n):
                a, b, c = order[i - 1], order[i], order[j]
                e = order[j + 1] if j + 1 < n else None
                before = d[a][b] + (d[c][e] if e is not None else 0)
                after = d[a][c] + (d[b][e] if e is not None else 0)
                if after < before - 1e-6:
                    order[i:j + 1] = reversed(order[i:j + 1])
                    improved = True
    return [ids[k] for k in order if ids[k] is not None]
