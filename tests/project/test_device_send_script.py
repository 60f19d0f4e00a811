"""scripts/device_send.py signs with the standard library exactly as the server checks."""

import importlib.util
from pathlib import Path

from api.devices import auth

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "device_send.py"


def test_the_script_signs_as_the_server_verifies():
    spec = importlib.util.spec_from_file_location("device_send", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    args = ("s3cret", "1764036000", "3f9c0e1a77b24c55", "POST", "/devices/DEMO-PM-1/readings", b'{"readings": []}')
    assert module.sign(*args) == auth.sign(*args)


def test_the_script_imports_nothing_outside_the_standard_library():
    import ast
    import sys

    tree = ast.parse(SCRIPT.read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= sys.stdlib_module_names
