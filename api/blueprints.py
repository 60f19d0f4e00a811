"""The blueprints in flow order (also the OpenAPI tag order)."""


def BLUEPRINTS():  # noqa: N802 - a constant-like accessor; imported lazily so create_app stays the only wiring
    from api.assets import routes as assets
    from api.cases import routes as cases
    from api.citizen import routes as citizen
    from api.classification import routes as classification
    from api.devices import routes as devices
    from api.fees import routes as fees
    from api.fees.desk import routes as fees_desk
    from api.fees.figures import routes as fees_figures
    from api.fees.receipts import routes as receipt_checks
    from api.gas import routes as gas
    from api.identity import routes as identity
    from api.intake import routes as intake
    from api.map import routes as map_
    from api.media import routes as media
    from api.notifications import routes as notifications
    from api.open311 import routes as open311
    from api.organisation import routes as organisation
    from api.routing import routes as routing
    from api.taxonomy import routes as taxonomy

    return (identity.blp, identity.me_blp, citizen.blp, cases.blp, cases.stats_blp, intake.blp,
            classification.blp,
            devices.blp, media.blp, notifications.blp, identity.staff_blp, organisation.blp, taxonomy.blp,
            routing.blp, devices.admin_blp, assets.blp, map_.blp, fees.blp, fees_desk.desk_blp,
            fees_figures.reports_blp, receipt_checks.verify_blp, gas.blp, open311.blp)
