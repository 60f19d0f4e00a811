"""The Chinese catalogue covers every message a client can be answered with; no message names a setting."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import marshmallow as ma
import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from marshmallow import fields

import api
from api import i18n
from api.config import Config
from api.errors import _HTTP_CODES, DomainError
from api.i18n.library import WEBARGS_MESSAGES, field_messages, library_messages, validator_messages

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "api/translations/zh/LC_MESSAGES/messages.po"
CJK = re.compile(r"[\u3400-\u9fff]")
NAME_LIKE_THIS = re.compile(r"(?<![A-Za-z0-9_])[A-Z][A-Z0-9_]*(?![A-Za-z0-9_])")  # also beside Chinese text


def _import_every_api_module() -> None:
    for module in pkgutil.walk_packages(api.__path__, "api."):
        importlib.import_module(module.name)


def _subclasses(root: type) -> set[type]:
    found, todo = set(), [root]
    while todo:
        for cls in todo.pop().__subclasses__():
            if cls not in found:
                found.add(cls)
                todo.append(cls)
    return found


@pytest.fixture(scope="module")
def catalogue() -> dict[str, str]:
    """msgid → msgstr of the .po as committed (fuzzy entries count as untranslated: they are not compiled)."""
    with PO.open("rb") as file:
        catalog = read_po(file, locale="zh")
    return {m.id: ("" if m.fuzzy else m.string) for m in catalog if m.id and isinstance(m.id, str)}


def _untranslated(messages, catalogue: dict[str, str]) -> list[str]:
    return sorted({m for m in messages if not CJK.search(catalogue.get(m) or "")})


def test_every_api_error_message_has_a_chinese_translation(catalogue):
    _import_every_api_module()
    errors = {cls for cls in _subclasses(DomainError) if cls.__module__.startswith("api.")}
    assert len(errors) > 100  # the walk found the domains' errors, not only the kinds
    assert _untranslated({cls.message for cls in errors}, catalogue) == []


def _schema_messages(schema_class: type[ma.Schema]) -> set[str]:
    messages = {**ma.Schema._default_error_messages, **getattr(schema_class, "error_messages", {})}
    found = set(messages.values())
    todo = list(schema_class._declared_fields.values())
    while todo:
        field = todo.pop()
        found |= set(field_messages(field).values())
        for validator in field.validators:
            found |= set(validator_messages(validator))
        if isinstance(field, fields.List):
            todo.append(field.inner)
        elif isinstance(field, fields.Tuple):
            todo.extend(field.tuple_fields)
        elif isinstance(field, fields.Mapping):
            todo.extend(f for f in (field.key_field, field.value_field) if f is not None)
    return found


def test_every_message_a_schema_can_produce_has_a_chinese_translation(catalogue):
    _import_every_api_module()
    schemas = {cls for cls in _subclasses(ma.Schema) if cls.__module__.split(".")[0] in ("api", "flask_smorest")}
    assert len(schemas) > 100
    produced = set(WEBARGS_MESSAGES).union(*(_schema_messages(cls) for cls in schemas))
    assert {"Missing data for required field.", "Unknown field.", "Not a valid integer."} <= produced
    assert any(m.startswith("Must be greater than or equal to {min} and less") for m in produced)  # a Range
    assert _untranslated(produced, catalogue) == []


def test_every_library_message_and_http_error_description_has_a_chinese_translation(catalogue):
    statuses = [*_HTTP_CODES, 500]
    assert _untranslated(library_messages(statuses), catalogue) == []


def test_every_message_the_extractor_finds_is_translated(catalogue):
    """What `make i18n` would extract from the code now (error classes, raise sites, ValidationErrors, _() …) is
    all in the .po and translated: a new message fails here until `make i18n` has run and it is translated."""
    with (ROOT / "babel.cfg").open() as file:
        method_map, options_map = parse_mapping_cfg(file)
    keywords = {**DEFAULT_KEYWORDS, "lazy_gettext": None}
    found = {message for _, _, message, *_ in extract_from_dir(str(ROOT), method_map, options_map, keywords)}
    flat = {part for message in found for part in (message if isinstance(message, tuple) else (message,))}
    assert len(flat) > 200
    assert _untranslated(flat, catalogue) == []


def test_every_translation_keeps_the_placeholders_of_its_message(catalogue):
    wrong = {msgid: msgstr for msgid, msgstr in catalogue.items() if msgstr
             and sorted(i18n.PLACEHOLDER.findall(msgid)) != sorted(i18n.PLACEHOLDER.findall(msgstr))}
    assert wrong == {}


def test_no_message_names_a_setting(catalogue):
    _import_every_api_module()
    settings = set(Config.__dataclass_fields__)
    texts = {*catalogue, *catalogue.values(), *(cls.message for cls in _subclasses(DomainError))}
    named = {text: hits for text in texts if (hits := set(NAME_LIKE_THIS.findall(text)) & settings)}
    assert named == {}


@pytest.mark.parametrize("header, locale", [
    (None, "zh"), ("", "zh"), ("en", "en"), ("en-US", "en"), ("en_GB", "en"), ("en-US,en;q=0.9", "en"),
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh"), ("en;q=0.5, zh;q=0.9", "zh"), ("zh;q=0.5, en;q=0.9", "en"),
    ("fr", "zh"), ("fr, en;q=0.5", "en"), ("*", "zh"), ("en;q=0, zh", "zh"), ("en;q=0", "zh"), ("zh-TW", "zh"),
])
def test_the_locale_is_the_first_of_ours_the_client_prefers(header, locale):
    assert i18n.locale_from_header(header) == locale


def test_outside_a_request_messages_are_chinese_unless_a_locale_is_forced():
    assert i18n.current_locale() == "zh"
    assert i18n.gettext("No such case.") == "案件不存在。"
    lazy = i18n.lazy_gettext("No such case.")
    with i18n.force_locale("en"):
        assert i18n.gettext("No such case.") == "No such case." == str(lazy)
        assert i18n.translate("Must be less than 5.") == "Must be less than 5."
    assert str(lazy) == "案件不存在。" and lazy.__html__() == "案件不存在。"
    with pytest.raises(ValueError):
        with i18n.force_locale("fr"):
            pass


@pytest.mark.parametrize("english, chinese", [
    ("Must be greater than or equal to 1 and less than or equal to 100.", "须在 1 到 100 之间。"),
    ("Must be greater than or equal to 1.", "须大于或等于 1。"),  # not the longer template's prefix
    ("Must be greater than 0 and less than 1.5.", "须大于 0，且小于 1.5。"),
    ("Must be one of: pending, done, cancelled.", "须为以下值之一：pending, done, cancelled。"),
    ("Longer than maximum length 500.", "长度不能超过 500。"),
    ('"2026-13-01" cannot be formatted as a date.', "“2026-13-01”无法转换为日期。"),
    ("must be base64 of at most 4096 bytes", "须为不超过 4096 字节的 Base64 编码"),  # our own f-string
    ("NaN is not a JSON number", "NaN 不是有效的 JSON 数字"),
    ("a message nobody wrote down", "a message nobody wrote down"),  # unknown: as it is
])
def test_a_message_with_values_is_translated_with_its_values_kept(english, chinese):
    assert i18n.translate(english) == chinese


def test_details_are_translated_where_they_hold_sentences_and_data_stays():
    details = {"fields": {"page_size": ["Must be less than or equal to 100."], "items": {0: {"code": [
        "Unknown field."]}}}, "reason": "nested too deeply", "status": "No such case.", "retry_after": 5}
    assert i18n.translate_details(details) == {
        "fields": {"page_size": ["须小于或等于 100。"], "items": {0: {"code": ["不支持该字段。"]}}},
        "reason": "嵌套层级过深", "status": "No such case.", "retry_after": 5}


def test_missing_catalogues_are_compiled_and_an_up_to_date_one_is_left_alone(tmp_path):
    folder = tmp_path / "zh" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "messages.po").write_bytes(PO.read_bytes())
    assert i18n.compile_catalogues(tmp_path) == [folder / "messages.mo"]
    assert i18n.compile_catalogues(tmp_path) == []
