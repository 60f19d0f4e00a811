"""The English messages our libraries answer with (marshmallow, webargs, werkzeug), as catalogue templates.

Read by the catalogue's extractor (scripts/babel_extract.py: they go into messages.po) and by the tests that
check every message a schema can produce has a translation. Templates keep marshmallow's placeholders ({min},
{choices}, {input} …): api.i18n.translate matches the message it rendered and puts the values back. A temporal
field's {obj_type} / {awareness} are fixed per class, so they are written out ("Not a valid datetime.").
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable, Iterator

import marshmallow as ma
from marshmallow import fields, validate
from werkzeug.exceptions import default_exceptions

WEBARGS_MESSAGES = ("Invalid JSON body.",)  # webargs.flaskparser: a body that is not JSON
_FIXED = re.compile(r"\{(obj_type|awareness)\}")


def _fixed_values(field_class: type) -> dict[str, str]:
    values = {}
    if getattr(field_class, "OBJ_TYPE", None):
        values["obj_type"] = field_class.OBJ_TYPE
    if getattr(field_class, "AWARENESS", None):
        values["awareness"] = field_class.AWARENESS
    return values


def field_messages(field: fields.Field | type) -> dict[str, str]:
    """key → template of what a field (an instance, with its own error_messages, or a class) can answer."""
    if isinstance(field, fields.Field):
        messages, field_class = dict(field.error_messages), type(field)
    else:
        messages, field_class = {}, field
        for cls in reversed(field.__mro__):
            messages.update(getattr(cls, "default_error_messages", {}))
    values = _fixed_values(field_class)
    out = {}
    for key, text in messages.items():
        if not isinstance(text, str):
            continue
        text = _FIXED.sub(lambda m: values.get(m.group(1), m.group(0)), text)
        if not _FIXED.search(text):  # {awareness} on a class that has none: a message it never sends
            out[key] = text
    return out


def validator_messages(validator) -> list[str]:
    """The templates a validator instance can answer with (an And: its validators'); [] for plain functions,
    whose ValidationError texts the extractor finds in the source."""
    if isinstance(validator, validate.And):
        return [m for inner in validator.validators for m in validator_messages(inner)]
    if not isinstance(validator, validate.Validator):
        return []
    if getattr(validator, "error", None):
        return [validator.error]
    if isinstance(validator, validate.Range):
        if validator.min is not None and validator.max is not None:
            return [validator.message_all]
        return [validator.message_min] if validator.min is not None else [validator.message_max]
    if isinstance(validator, validate.Length):
        if validator.equal is not None:
            return [validator.message_equal]
        if validator.min is not None and validator.max is not None:
            return [validator.message_all]
        return [validator.message_min] if validator.min is not None else [validator.message_max]
    return [validator.default_message] if getattr(validator, "default_message", None) else []


def _validator_templates() -> Iterator[tuple[str, str]]:
    for name, cls in sorted(vars(validate).items()):
        if not (inspect.isclass(cls) and issubclass(cls, validate.Validator)) or name.startswith("_"):
            continue
        if cls is validate.Range:
            for low in (True, False):
                for high in (True, False):
                    bounded = validate.Range(0, 1, min_inclusive=low, max_inclusive=high)
                    for text in (bounded.message_min, bounded.message_max, bounded.message_all):
                        yield text, "marshmallow validate.Range"
        elif cls is validate.Length:
            for key in ("message_min", "message_max", "message_all", "message_equal"):
                yield getattr(cls, key), f"marshmallow validate.Length {key}"
        elif isinstance(getattr(cls, "default_message", None), str):
            yield cls.default_message, f"marshmallow validate.{name}"


def library_messages(statuses: Iterable[int] = ()) -> dict[str, str]:
    """template → where it comes from: every marshmallow field's and validator's message, the schema's own,
    webargs', and werkzeug's description of each HTTP status in `statuses` (those the error envelope maps)."""
    found: dict[str, str] = {}
    for name, cls in sorted(vars(fields).items()):
        if inspect.isclass(cls) and issubclass(cls, fields.Field) and not name.startswith("_"):
            for key, text in field_messages(cls).items():
                found.setdefault(text, f"marshmallow fields.{name} {key}")
    for key, text in ma.Schema._default_error_messages.items():
        found.setdefault(text, f"marshmallow Schema {key}")
    for text, where in _validator_templates():
        found.setdefault(text, where)
    for text in WEBARGS_MESSAGES:
        found.setdefault(text, "webargs")
    for status in sorted(statuses):
        if status in default_exceptions and default_exceptions[status].description:
            found.setdefault(default_exceptions[status].description, f"werkzeug HTTP {status}")
    return found
