"""Languages: Chinese unless the request prefers English; every message is written in English and translated.

Core: imports nothing of the domains. The catalogue is api/translations/<locale>/LC_MESSAGES/messages.po (English
msgid → translation), compiled by `make`. In a request the locale comes from Accept-Language; elsewhere (jobs, CLI)
it is Chinese, or whatever `force_locale()` says. Domain code keeps plain English strings: the error envelope
translates them when it renders (`translate`, `translate_details`), so a message needs no marker where it is raised.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from babel.support import LazyProxy, NullTranslations, Translations
from flask import Flask, has_app_context, has_request_context, request
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

DEFAULT_LOCALE = "zh"  # Simplified Chinese (zh_Hans): the catalogue's folder is zh/
LOCALES = ("zh", "en")  # en needs no catalogue: the msgids are English
CONTENT_LANGUAGE = {"zh": "zh-Hans", "en": "en"}
DOMAIN = "messages"
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
TIMEZONE = "Asia/Shanghai"

_forced: ContextVar[str | None] = ContextVar("suiyun_forced_locale", default=None)
_ENVIRON_KEY = "suiyun.locale"


def locale_from_header(header: str | None) -> str:
    """The first of our locales in the client's order of preference (q-values honoured, q=0 refused; `en-US`
    counts as `en`, `zh-CN`/`zh_TW` as `zh`); Chinese when the header names neither."""
    for value, quality in parse_accept_header(header, LanguageAccept):
        primary = re.split(r"[-_]", value, maxsplit=1)[0].lower()
        if quality > 0 and primary in LOCALES:
            return primary
    return DEFAULT_LOCALE


def current_locale() -> str:
    forced = _forced.get()
    if forced:
        return forced
    if has_request_context():
        locale = request.environ.get(_ENVIRON_KEY)
        if locale is None:
            locale = request.environ[_ENVIRON_KEY] = locale_from_header(request.headers.get("Accept-Language"))
        return locale
    return DEFAULT_LOCALE


@contextmanager
def force_locale(locale: str) -> Iterator[None]:
    """Speak `locale` inside the block, in a request or not (a job writing for an English-speaking reader)."""
    if locale not in LOCALES:
        raise ValueError(f"unknown locale {locale!r}: one of {LOCALES}")
    token = _forced.set(locale)
    _refresh_flask_babel()
    try:
        yield
    finally:
        _forced.reset(token)
        _refresh_flask_babel()


def _refresh_flask_babel() -> None:
    if has_app_context():  # Flask-Babel caches the locale per app context
        import flask_babel

        flask_babel.refresh()


@cache
def translations(locale: str) -> NullTranslations:
    if locale == "en":
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS), [locale], DOMAIN)  # NullTranslations when nothing is compiled


def gettext(msgid: str, **variables) -> str:
    """`msgid` in the current locale; `%(name)s` placeholders filled from `variables`."""
    text = translations(current_locale()).gettext(msgid)
    return text % variables if variables else text


_ = gettext


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    return translations(current_locale()).ngettext(singular, plural, num) % variables


class LazyText(LazyProxy):
    """A message translated each time it is turned into text (str(), JSON): for module-level constants."""

    def __html__(self) -> str:  # Flask's JSON provider serialises objects that have it
        return str(self)


def lazy_gettext(msgid: str, **variables) -> LazyText:
    return LazyText(gettext, msgid, enable_cache=False, **variables)


def N_(msgid: str) -> str:
    """Marks a message for extraction only (the gettext convention); translated later, by `translate`."""
    return msgid


# Messages with values: marshmallow's templates ("Must be one of: {choices}.") and our own f-strings become
# patterns; the translation gets the captured values back.
PLACEHOLDER = re.compile(r"\{(\w+)(?:![rsa])?(?::[^{}]*)?\}")


class Template:
    def __init__(self, msgid: str, msgstr: str):
        parts, groups, position = [], {}, 0
        for match in PLACEHOLDER.finditer(msgid):
            parts.append(re.escape(msgid[position:match.start()]))
            name = match.group(1)
            if name in groups:
                parts.append(f"(?P={groups[name]})")
            else:
                groups[name] = f"v{len(groups)}"
                parts.append(f"(?P<{groups[name]}>.+?)")
            position = match.end()
        parts.append(re.escape(msgid[position:]))
        self.pattern = re.compile("".join(parts), re.DOTALL)
        self.groups, self.msgstr = groups, msgstr
        self.literal = len(PLACEHOLDER.sub("", msgid))

    def fill(self, message: str) -> str | None:
        match = self.pattern.fullmatch(message)
        if match is None:
            return None
        values = {name: match.group(group) for name, group in self.groups.items()}
        return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), self.msgstr)


@cache
def templates(locale: str) -> tuple[Template, ...]:
    mo = TRANSLATIONS / locale / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if locale == "en" or not mo.exists():
        return ()
    with mo.open("rb") as file:
        catalog = read_mo(file)
    found = [Template(m.id, m.string) for m in catalog if isinstance(m.id, str) and m.string
             and PLACEHOLDER.search(m.id) and len(PLACEHOLDER.sub("", m.id).strip()) >= 3]
    return tuple(sorted(found, key=lambda t: -t.literal))  # the most specific first ("… {min} and … {max}.")


def translate(message):
    """An English message (an error's, a validation message, a filled template) in the current locale; a message
    the catalogue does not know comes back as it is."""
    locale = current_locale()
    if locale == "en" or not isinstance(message, str) or not message:
        return message
    text = translations(locale).gettext(message)
    if text != message:
        return text
    for template in templates(locale):
        filled = template.fill(message)
        if filled is not None:
            return filled
    return message


TRANSLATED_DETAILS = ("fields", "reason", "errors")  # what holds sentences; other details are data


def translate_details(details: dict | None) -> dict:
    if not details or current_locale() == "en":
        return details or {}
    return {key: _translate_deep(value) if key in TRANSLATED_DETAILS else value for key, value in details.items()}


def _translate_deep(value):
    if isinstance(value, str):
        return translate(value)
    if isinstance(value, dict):  # field names (and list indexes) stay
        return {key: _translate_deep(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_translate_deep(item) for item in value]
    return value


def init_app(app: Flask) -> None:
    """Flask-Babel with our locale choice (its gettext, format_* and templates agree with ours), and
    `Content-Language` on every answer."""
    from flask_babel import Babel

    Babel(app, locale_selector=current_locale, default_locale=DEFAULT_LOCALE, default_domain=DOMAIN,
          default_translation_directories=str(TRANSLATIONS), default_timezone=TIMEZONE)

    @app.after_request
    def _content_language(response):
        response.headers["Content-Language"] = CONTENT_LANGUAGE[current_locale()]
        response.vary.add("Accept-Language")
        return response


def compile_catalogues(folder: Path = TRANSLATIONS) -> list[Path]:
    """Compile each messages.po whose .mo is missing or older, as `make` does (for a test run without make);
    the compiled files it wrote."""
    written = []
    for po in sorted(folder.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as file:
            catalog = read_po(file, locale=po.parent.parent.name)
        fd, temporary = tempfile.mkstemp(dir=po.parent, suffix=".mo.tmp")
        with os.fdopen(fd, "wb") as file:
            write_mo(file, catalog)
        os.chmod(temporary, 0o644)
        os.replace(temporary, mo)  # atomic: parallel test workers may compile at once
        written.append(mo)
    if written:
        translations.cache_clear()
        templates.cache_clear()
    return written
