"""`pybabel extract`'s extractor for this code base (named in babel.cfg; `make i18n` runs it).

Besides the usual _()/gettext()/ngettext()/lazy_gettext()/N_() calls, it finds the English a client can be
answered with where it is written as plain text, so that nobody's code needs a marker:
- error classes' messages: `message = "…"` and `code, message = "X", "…"` in a class body;
- messages given where an API error is raised: `raise errors.AccountNotFound("That street is …")` (the raised
  class is looked up in the imported module: only subclasses of api.errors.DomainError count);
- marshmallow: `ValidationError("…")` (a string, or the strings of a dict/list), validators' `error="…"`,
  fields' `error_messages={…}`;
- error bodies built by hand: the "message" and "reason" values and the "fields"/"errors" lists of dict literals;
- with `library = true` in the mapping: what marshmallow, webargs and werkzeug answer (api/i18n/library.py), for
  the HTTP statuses listed in `statuses`.
An f-string becomes a template: f"at most {self.max_bytes} bytes" → "at most {max_bytes} bytes" (api.i18n
matches the rendered message and puts the value back into the translation).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import io
import re
import sys
from pathlib import Path

from babel.messages.extract import extract_python

ROOT = Path(__file__).resolve().parents[1]
CODE = re.compile(r"^[A-Z][A-Z0-9_]+$")  # an error code, not a message
LATIN = re.compile(r"[A-Za-z]")
PLACEHOLDER = re.compile(r"\{\w+\}")
VALIDATORS = {"And", "ContainsNoneOf", "ContainsOnly", "Email", "Equal", "Length", "NoneOf", "OneOf", "Predicate",
              "Range", "Regexp", "URL"}


def _name(node: ast.AST) -> str:
    """A placeholder's name for an f-string's expression: `self.max_bytes` → max_bytes, `len(x)` → value."""
    if isinstance(node, ast.Name):
        return node.id.lower()
    if isinstance(node, ast.Attribute):
        return node.attr.lower()
    return "value"


def text_of(node: ast.AST | None) -> str | None:
    """The message a string or f-string node stands for (f-strings as templates), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if not isinstance(node, ast.JoinedStr):
        return None
    parts, seen = [], {}
    for value in node.values:
        if isinstance(value, ast.Constant):
            parts.append(str(value.value))
        elif isinstance(value, ast.FormattedValue):
            name = _name(value.value)
            seen[name] = seen.get(name, 0) + 1
            parts.append("{" + (name if seen[name] == 1 else f"{name}_{seen[name]}") + "}")
    return "".join(parts)


def _strings_in(node: ast.AST) -> list[ast.AST]:
    """String nodes inside list/tuple/dict literals (the values of a dict, not its keys)."""
    if isinstance(node, ast.Constant | ast.JoinedStr):
        return [node]
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return [s for item in node.elts for s in _strings_in(item)]
    if isinstance(node, ast.Dict):
        return [s for item in node.values for s in _strings_in(item)]
    if isinstance(node, ast.BoolOp):  # problems or ["no rows"]
        return [s for item in node.values for s in _strings_in(item)]
    return []


def _callee(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


class Finder(ast.NodeVisitor):
    def __init__(self, module=None, domain_error: type | None = None):
        self.found: list[tuple[int, str]] = []
        self.module, self.domain_error = module, domain_error

    def _add(self, node: ast.AST) -> None:
        text = text_of(node)
        # no Latin letter (placeholders aside): written in Chinese already
        if text and text.strip() and not CODE.match(text) and LATIN.search(PLACEHOLDER.sub("", text)):
            self.found.append((node.lineno, text))

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for statement in node.body:
            if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                if statement.target.id == "message":  # message: str = "…"
                    self._add(statement.value)
            elif isinstance(statement, ast.Assign):
                for target in statement.targets:
                    if isinstance(target, ast.Name) and target.id == "message":
                        self._add(statement.value)
                    elif isinstance(target, ast.Tuple) and isinstance(statement.value, ast.Tuple):
                        for name, value in zip(target.elts, statement.value.elts, strict=False):
                            if isinstance(name, ast.Name) and name.id == "message":
                                self._add(value)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = _callee(node.func)
        if name == "ValidationError" and node.args:
            for string in _strings_in(node.args[0]):
                self._add(string)
        for keyword in node.keywords:
            if keyword.arg == "error" and name in VALIDATORS:
                self._add(keyword.value)
            elif keyword.arg == "error_messages" and isinstance(keyword.value, ast.Dict):
                for string in _strings_in(keyword.value):
                    self._add(string)
        self.generic_visit(node)

    def visit_Raise(self, node: ast.Raise) -> None:
        raised = self._api_error(node.exc.func) if isinstance(node.exc, ast.Call) else None
        if raised is not None:  # the argument its constructor takes as `message`
            positional = [p.name for p in inspect.signature(raised).parameters.values()
                          if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
            for name, argument in zip(positional, node.exc.args, strict=False):
                if name == "message":
                    self._add(argument)
            for keyword in node.exc.keywords:
                if keyword.arg == "message":
                    self._add(keyword.value)
        self.generic_visit(node)

    def _api_error(self, func: ast.AST) -> type | None:
        if self.module is None or self.domain_error is None:
            return None
        chain = []
        while isinstance(func, ast.Attribute):
            chain.insert(0, func.attr)
            func = func.value
        if not isinstance(func, ast.Name):
            return None
        target = vars(self.module).get(func.id)
        for attr in chain:
            target = getattr(target, attr, None)
        return target if isinstance(target, type) and issubclass(target, self.domain_error) else None

    def visit_Dict(self, node: ast.Dict) -> None:
        for key, value in zip(node.keys, node.values, strict=True):
            if isinstance(key, ast.Constant) and key.value in ("message", "reason"):
                self._add(value)
            elif isinstance(key, ast.Constant) and key.value in ("fields", "errors"):
                for string in _strings_in(value):
                    self._add(string)
        self.generic_visit(node)


def _module_of(fileobj):
    """The imported module a source file is (to resolve what its `raise` statements raise), or None."""
    path = Path(getattr(fileobj, "name", "")).resolve()
    try:
        relative = path.relative_to(ROOT).with_suffix("")
    except ValueError:
        return None
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    try:
        return importlib.import_module(".".join(parts))
    except Exception as exc:  # noqa: BLE001 - a module that cannot be imported still gives its other messages
        sys.stderr.write(f"babel_extract: {'.'.join(parts)} not imported ({exc}); its raise sites are skipped\n")
        return None


def extract(fileobj, keywords, comment_tags, options):
    """Babel's extractor interface: (lineno, funcname, message, comments)."""
    source = fileobj.read()
    yield from extract_python(io.BytesIO(source), keywords, comment_tags, options)
    module = _module_of(fileobj)
    domain_error = importlib.import_module("api.errors").DomainError if module is not None else None
    finder = Finder(module, domain_error)
    finder.visit(ast.parse(source))
    for lineno, text in finder.found:
        yield lineno, None, text, []
    if str(options.get("library", "")).lower() in ("1", "true", "yes"):
        from api.i18n.library import library_messages

        statuses = [int(s) for s in str(options.get("statuses", "")).split()]
        for text, where in library_messages(statuses).items():
            yield 0, None, text, [where]
