"""An external GeoReport v2 client — the `georeport` package from PyPI, as other apps use it — against the API on a
real port: services, a definition, the request list and one request, in XML and in JSON."""

import pytest
import requests
import sqlalchemy as sa
from georeport import GeoReport

from api.open311.models import Open311Request
from tests.api.cases.conftest import act
from tests.api.open311.conftest import FORMATS, HERE


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_external_client_reads_what_the_facade_serves(o311_live, client, committed, fmt):
    base = o311_live["base"]
    discovery = requests.get(f"{base}/discovery.json", timeout=5).json()
    assert discovery["endpoints"][0]["url"] == base and "application/json" in discovery["endpoints"][0]["formats"]
    reader = GeoReport(base, output_format=fmt)
    services = reader.get_service_list()
    assert "exposed_garbage" in [s["service_code"] for s in services]
    assert reader.get_service_definition("street_light")["service_code"] == "street_light"

    filed = requests.post(f"{base}/requests.{fmt}", data={"api_key": o311_live["key"], "service_code": "street_light",
                                                          "description": "路灯晚上不亮", **HERE}, timeout=5)
    assert filed.status_code == 201
    case_id = committed.scalar(sa.select(Open311Request.case_id).order_by(Open311Request.created_at.desc()))
    assert act(client, o311_live["t"]["clerk"], case_id, "accept", {"category_code": "component:01-18"}
               ).status_code == 200
    listed = reader.get_service_requests(status="open")
    listed = listed if isinstance(listed, list) else [listed]  # xmltodict gives one element as a dict
    assert [r["service_code"] for r in listed] == ["street_light"]
    one = reader.get_service_request(listed[0]["service_request_id"])
    assert one["status"] == "open" and one["service_name"] == "路灯不亮"
