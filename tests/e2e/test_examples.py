"""The examples run as documented and print what the README promises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run_example(name: str, cwd: Path) -> str:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_auth_quickstart(tmp_path: Path) -> None:
    output = run_example("auth_quickstart.py", tmp_path)
    assert "registered ann@example.com" in output
    assert "petpro.pet.updated.v2" in output


def test_the_event_backbone_example(tmp_path: Path) -> None:
    output = run_example("event_backbone.py", tmp_path)
    assert "relay crashes: ['relay.after_publish']" in output
    assert "booking's cache: 'Rex IV' at version 4" in output
    assert "booking's inbox: 4 events, each handled once" in output
