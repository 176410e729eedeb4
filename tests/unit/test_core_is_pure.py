"""The core imports only the standard library: an allow-list, complementing the deny-list in
importlinter.ini, so a third-party package nobody thought to forbid cannot slip in."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import petpro_core

CORE = Path(petpro_core.__file__).parent


def imported_top_level_modules(source: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(), filename=str(source))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_every_core_module_imports_only_the_standard_library_and_the_core() -> None:
    allowed = set(sys.stdlib_module_names) | {"petpro_core", "__future__"}
    offenders = {
        str(path.relative_to(CORE)): sorted(imported_top_level_modules(path) - allowed)
        for path in sorted(CORE.rglob("*.py"))
    }
    assert {path: names for path, names in offenders.items() if names} == {}
    assert len(offenders) > 20  # the walk really saw the core


def test_the_check_notices_a_third_party_import(tmp_path: Path) -> None:
    module = tmp_path / "leaky.py"
    module.write_text("import os\nfrom attrs import define\nfrom .sibling import x\n")
    assert imported_top_level_modules(module) - set(sys.stdlib_module_names) == {"attrs"}
