"""The layers' import rules, checked on the source: a door never reaches into another door,
and the organisations layer knows nothing of what lives inside an organisation."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# package -> top-level packages it must never import (see docs/architecture.md)
FORBIDDEN = {
    "tenants": {"auth_methods", "api", "portal"},
    "auth_methods": {"api", "portal"},
    "portal": {"api"},
    "api": {"portal"},
}
# Only the REST door speaks Django REST framework.
DRF = {"rest_framework", "drf_spectacular"}


def imported_packages(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_layer_imports_what_it_must_not(package: str) -> None:
    files = sources(package)
    assert files, package
    offences = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in files
        for name in sorted(imported_packages(path) & FORBIDDEN[package])
    ]
    assert offences == []


@pytest.mark.parametrize("package", ["tenants", "auth_methods", "portal"])
def test_only_the_rest_door_imports_rest_framework(package: str) -> None:
    offences = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sources(package)
        for name in sorted(imported_packages(path) & DRF)
    ]
    assert offences == []


def test_the_scan_sees_imports_inside_functions_too(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from api.x import y\n    import portal.z\n")
    assert imported_packages(source) == {"api", "portal"}
