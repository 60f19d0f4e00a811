"""JSON and XML answers of the façade, as GeoReport v2 writes them (XML through ElementTree, never by hand).

Each answer is a list of records (services, requests, a service definition, tokens, errors). XML wraps them in
the plural element the specification names (<services><service>…), nests lists (<keywords> is text, <attributes>
holds <attribute>s) and writes None as an empty element; JSON writes them as they are."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from flask import Response

from api.open311.errors import Open311Error

FORMATS = ("xml", "json")
WRAP = dict((("services", "service"), ("requests", "request"), ("service_requests", "request"), ("errors", "error"),
             ("attributes", "attribute"), ("values", "value"), ("endpoints", "endpoint"), ("formats", "format")))


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value) -> str:
    """Text as XML 1.0 may carry it (ElementTree escapes markup but writes control characters as they are, which
    no parser accepts): anything outside XML's Char range is dropped."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else _NOT_XML.sub("", str(value))


def _fill(element: ET.Element, value) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _fill(ET.SubElement(element, key), inner)
    elif isinstance(value, list):
        child = WRAP.get(element.tag, "item")
        for item in value:
            _fill(ET.SubElement(element, child), item)
    else:
        element.text = _text(value)


def render(fmt: str, root: str, payload, status: int = 200, headers: dict | None = None) -> Response:
    """`payload`: a list under <root> (or a dict for a single-object root such as discovery / service_definition)."""
    if fmt == "json":
        body = json.dumps(payload, ensure_ascii=False)
        response = Response(body, status, mimetype="application/json")
    else:
        element = ET.Element(root)
        _fill(element, payload)
        body = ET.tostring(element, encoding="unicode", xml_declaration=False)
        response = Response('<?xml version="1.0" encoding="utf-8"?>' + body, status,
                            content_type="text/xml; charset=utf-8")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def error(fmt: str, problem: Open311Error) -> Response:
    headers = {"Retry-After": str(problem.retry_after)} if problem.retry_after else None
    return render(fmt if fmt in FORMATS else "xml", "errors",
                  [{"code": problem.status, "description": problem.description}], problem.status, headers)
