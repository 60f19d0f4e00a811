"""The command centre's big screen (指挥中心, 1920×1080 on the wall) and the feeds it polls.

GET /console/command            the screen: the map, KPI tiles, the overdue board, alerts, the flagged inbox
GET /console/command/panels     the tiles and boards (htmx swaps them every few seconds)
GET /console/command/cases      open cases in a bbox as GeoJSON — clusters aggregated by the server below zoom
                                15 (api.map.queries.layer, the map API's own query), points with status and overdue
GET /console/command/outlines   the streets as the union of their grids (and whether the grid is the demo's)
GET /console/command/density    open cases per grid, for the density shading

Everything within the caller's scope: a street's command staff see their street's pins, outlines and figures.
"""

from __future__ import annotations

import marshmallow as ma
from flask import jsonify, render_template, request

from api.cases import present, queries
from api.db import utcnow
from api.map import board
from api.map import queries as map_queries
from api.map.schemas import LayerArgsSchema
from api.notifications import inbox
from api.roles import Role
from console import bp
from console.auth import roles_required, staff
from console.pages import load

WATCHERS = (Role.COMMAND_CENTRE, Role.SHIFT_LEAD, Role.ADMIN)
POLL_S = 5


@bp.route("/command")
@roles_required(*WATCHERS)
def command():
    return render_template("console/command.html", poll_s=POLL_S, **_panels())


@bp.route("/command/panels")
@roles_required(*WATCHERS)
def command_panels():
    return render_template("console/_command_panels.html", **_panels())


def _panels() -> dict:
    user, now = staff(), utcnow()
    overdue = queries.page_of(queries.desk(user, "overdue", {}, now), 1, 10, queries.order_for("overdue"))[0]
    return {"tiles": board.tiles(user, now), "overdue": present.listed(overdue, request.host_url),
            "alerts": board.alerts(user, 8), "flagged": inbox.flagged([user.id], 8), "as_of": now}


@bp.route("/command/cases")
@roles_required(*WATCHERS)
def command_cases():
    try:
        args = load(LayerArgsSchema(), request.args.to_dict())
    except ma.ValidationError as invalid:
        return jsonify({"error": invalid.messages}), 400
    layer = map_queries.layer(staff(), "cases", args["bbox"], args["zoom"], {})
    return jsonify(layer)


@bp.route("/command/outlines")
@roles_required(*WATCHERS)
def command_outlines():
    return jsonify(board.street_outlines(staff()))


@bp.route("/command/density")
@roles_required(*WATCHERS)
def command_density():
    return jsonify(board.grid_density(staff()))
