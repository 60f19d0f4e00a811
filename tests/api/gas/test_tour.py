"""The day list's walking order (pure): nearest neighbour, then 2-opt until no reversal shortens the walk."""

import random

from api.gas import tour


def test_every_stop_once_and_a_walk_no_longer_than_nearest_neighbour_alone():
    rng = random.Random(7)
    points = [(23.16 + rng.random() * 0.01, 113.26 + rng.random() * 0.01) for _ in range(40)]
    start = (23.16, 113.26)
    route = tour.order(points, start)
    assert sorted(route) == list(range(40))
    assert tour.length(route, points, start) < tour.length(list(range(40)), points, start) / 2


def test_two_opt_untangles_a_crossing():
    # four corners of a square, in the order that makes the path cross itself
    square = [(0.0, 0.0), (0.001, 0.001), (0.0, 0.001), (0.001, 0.0)]
    crossed = [0, 1, 2, 3]
    route = tour.order(square, (0.0, -0.0001))
    assert tour.length(route, square, (0.0, -0.0001)) < tour.length(crossed, square, (0.0, -0.0001))
    assert route[0] == 0


def test_small_inputs_and_distances():
    assert tour.order([]) == [] and tour.order([(1.0, 1.0)]) == [0]
    assert 110 < tour.metres((23.0, 113.0), (23.001, 113.0)) < 112  # 0.001° of latitude ≈ 111 m
