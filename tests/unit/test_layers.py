"""Imports point down (STYLE.md): each package of dyncore imports, at module
level, only the layers below it. (A function-level import of a higher layer
is allowed where an API must hand out a higher-level object, such as
Database.client(); it is not checked here.)"""
import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "src" / "dyncore"

# layer -> the dyncore layers it may import (itself always allowed)
ALLOWED = {
    "errors": set(),
    "clock": set(),
    "_core": set(),
    "engine": {"_core", "errors"},
    "model": {"_core", "errors"},
    "expr": {"errors"},
    "table": {"engine", "model", "expr", "_core", "errors", "clock"},
    "database": {"table", "engine", "model", "expr", "_core", "errors", "clock"},
    "api": {"database", "table", "model", "expr", "_core", "errors", "clock"},
    "client": {"api", "database", "model", "_core", "errors"},
    "resource": {"client", "api", "database", "model", "_core", "errors"},
    "metrics": set(),
    "httpd": set(),
    "server": {"api", "database", "metrics", "httpd", "_core", "errors"},
    "cli": {"database", "client", "resource", "api", "server", "httpd", "errors"},
    "__main__": {"cli"},
    "demo": {"engine", "errors"},
    "sharding": set(),  # client-side helper over any boto3-shaped client: imports nothing
    "__init__": {"errors"},
}


def layer_of(path: Path) -> str:
    rel = path.relative_to(PKG)
    return rel.parts[0].removesuffix(".py")


def module_level_imports(path: Path):
    tree = ast.parse(path.read_text(), str(path))
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name


FILES = sorted(p for p in PKG.rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PKG)))
def test_imports_point_down(path):
    layer = layer_of(path)
    assert layer in ALLOWED, f"new layer {layer}: add it to ALLOWED"
    for mod in module_level_imports(path):
        if mod == "dyncore" or not mod.startswith("dyncore."):
            continue
        target = mod.split(".")[1]
        assert target == layer or target in ALLOWED[layer], \
            f"{path.relative_to(PKG)} imports {mod}: {layer} may not import {target}"
