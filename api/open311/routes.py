"""Open311 clients, registered by an admin (the façade itself is api/open311/facade.py)."""

from flask.views import MethodView

from api.access import current_user, requires
from api.db import Session
from api.events.service import Actor
from api.extensions import Blueprint
from api.open311 import clients
from api.open311.errors import ClientNotFound
from api.open311.models import Open311Client
from api.open311.schemas import ClientRegisterSchema, ClientSchema, ClientWithKeySchema, RevokeSchema
from api.roles import Role

blp = Blueprint("open311_clients", __name__, url_prefix="/admin/open311",
                description="Open311 GeoReport v2 clients (apps, hotline platforms): keys and rates")


@blp.route("/clients")
class Clients(MethodView):
    @requires(Role.ADMIN)
    @blp.response(200, ClientSchema(many=True))
    def get(self):
        """Registered Open311 clients

        Their names, rates and whether each key is active; never a key (only its first six characters).
        """
        return clients.listed()

    @requires(Role.ADMIN)
    @blp.arguments(ClientRegisterSchema)
    @blp.response(201, ClientWithKeySchema)
    def post(self, body):
        """Register a client; its API key is in the answer, once

        The key is kept only as a SHA-256 digest (event `open311_client_registered`).
        """
        client, key = clients.register(body["name"], body["rate_per_minute"], body["contact"],
                                       Actor("staff", current_user().id))
        return {**{name: getattr(client, name) for name in ClientSchema().fields}, "api_key": key}


@blp.route("/clients/<int:client_id>/revoke")
class Revoke(MethodView):
    @requires(Role.ADMIN)
    @blp.arguments(RevokeSchema)
    @blp.response(200, ClientSchema)
    @blp.errors(ClientNotFound)
    def post(self, body, client_id: int):
        """Revoke a client's key

        Its next request is refused with the specification's 403; the client stays listed, inactive (event
        `open311_client_revoked` with the reason). Revoking twice changes nothing.
        """
        client = Session.get(Open311Client, client_id)
        if client is None:
            raise ClientNotFound(details={"client_id": client_id})
        return clients.revoke(client, Actor("staff", current_user().id), body["reason"])
