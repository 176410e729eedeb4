"""The architecture's import contracts hold, and they bite when broken.

Runs import-linter as a subprocess: once on the repository, and on copies of it into
which a forbidden import has been planted. Kept quick (a few seconds in all).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.lint

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
CONFIG = "importlinter.ini"
PURE_CORE = "The core imports only the standard library"
CONTEXTS = "Bounded contexts are independent (they meet only in contracts and shared)"
LAYERS = "Layers: cli > runtimes > adapters > petpro_core"
TIMEOUT_SECONDS = 30


def _lint(root: Path, *, pythonpath: list[Path] | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if pythonpath is not None:
        # ahead of the editable install's .pth entries, so the copy is what gets analysed
        env["PYTHONPATH"] = os.pathsep.join(str(p) for p in pythonpath)
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "--no-cache", "--config", str(root / CONFIG)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )


def _copy_project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "src", root / "src", ignore=ignore)
    shutil.copytree(REPO / "cli", root / "cli", ignore=ignore)
    shutil.copy(REPO / CONFIG, root / CONFIG)
    return root


def _lint_copy(root: Path) -> subprocess.CompletedProcess[str]:
    return _lint(root, pythonpath=[root / "src", root])


def test_lint_imports_is_installed() -> None:
    assert LINT_IMPORTS.exists(), f"import-linter is not installed next to {sys.executable}"


def test_the_repository_keeps_every_contract() -> None:
    started = time.perf_counter()
    result = _lint(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    for contract in (PURE_CORE, CONTEXTS, LAYERS):
        assert f"{contract} KEPT" in result.stdout
    assert "0 broken" in result.stdout
    assert time.perf_counter() - started < 5


def test_a_core_module_importing_sqlalchemy_breaks_the_pure_core_contract(
    tmp_path: Path,
) -> None:
    root = _copy_project(tmp_path)
    (root / "src/petpro_core/shared/leaky.py").write_text(
        '"""A deliberate violation."""\n\nimport sqlalchemy  # noqa: F401\n'
    )
    result = _lint_copy(root)
    assert result.returncode != 0
    assert f"{PURE_CORE} BROKEN" in result.stdout, result.stdout + result.stderr
    assert "petpro_core.shared.leaky -> sqlalchemy" in result.stdout


def test_one_context_importing_another_breaks_the_independence_contract(
    tmp_path: Path,
) -> None:
    root = _copy_project(tmp_path)
    (root / "src/petpro_core/auth/coupled.py").write_text(
        '"""A deliberate violation."""\n\nimport petpro_core.booking  # noqa: F401\n'
    )
    result = _lint_copy(root)
    assert result.returncode != 0
    assert f"{CONTEXTS} BROKEN" in result.stdout, result.stdout + result.stderr
    assert "petpro_core.auth.coupled -> petpro_core.booking" in result.stdout
    assert f"{PURE_CORE} KEPT" in result.stdout  # only the contract that was broken fails


def test_the_core_importing_an_adapter_breaks_the_layers_contract(tmp_path: Path) -> None:
    root = _copy_project(tmp_path)
    (root / "src/petpro_core/auth/upward.py").write_text(
        '"""A deliberate violation."""\n\nimport adapters.memory.auth  # noqa: F401\n'
    )
    result = _lint_copy(root)
    assert result.returncode != 0
    assert f"{LAYERS} BROKEN" in result.stdout, result.stdout + result.stderr
