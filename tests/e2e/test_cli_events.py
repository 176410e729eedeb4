"""`petpro events`: the catalog table, writing the schema registry, and checking it."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner, Result

from adapters.codec.schemas import all_event_schemas, schema_path
from cli.errors import EXIT_INVALID
from cli.main import app

PET_V1 = "petpro.pet.created.v1"


def petpro(*args: str) -> Result:
    return CliRunner().invoke(app, ["events", *args], env={"COLUMNS": "200"})


def test_list_shows_every_event_with_versions_publisher_and_subscribers() -> None:
    result = petpro("list")
    assert result.exit_code == 0, result.output
    rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if "│" in line}
    assert "pet.created" in rows and "v1, v2" in rows["pet.created"]
    assert "auth" in rows["pet.created"] and "booking" in rows["pet.created"]
    assert "inventory, finance, notification" in rows["order.delivered"]
    assert "Trigger a reorder" in rows["stock.low"]
    assert len([name for name in rows if "." in name]) == 33


def test_schema_writes_every_version_then_check_passes(tmp_path: Path) -> None:
    written = petpro("schema", "--dir", str(tmp_path))
    count = len(all_event_schemas())
    assert written.exit_code == 0, written.output
    assert f"wrote {count} event schemas" in written.stdout
    assert len(list((tmp_path / "events").glob("*.json"))) == count

    checked = petpro("check", "--dir", str(tmp_path))
    assert checked.exit_code == 0, checked.output
    assert checked.stdout.strip() == f"{count} event schemas compatible"


def test_check_prints_one_line_per_problem_and_exits_invalid(tmp_path: Path) -> None:
    petpro("schema", "--dir", str(tmp_path))
    path = schema_path(tmp_path, PET_V1)
    committed = json.loads(path.read_text())
    committed["properties"]["nickname"] = {"type": "string"}
    path.write_text(json.dumps(committed))
    schema_path(tmp_path, "petpro.pet.deleted.v1").unlink()

    result = petpro("check", "--dir", str(tmp_path))
    assert result.exit_code == EXIT_INVALID
    assert result.stderr.splitlines() == [
        f"error: {PET_V1}: property 'nickname' was removed",
        "error: petpro.pet.deleted.v1: not committed: run petpro events schema",
    ]
    assert "compatible" not in result.stdout


def test_check_on_an_empty_registry_asks_for_the_schemas(tmp_path: Path) -> None:
    result = petpro("check", "--dir", str(tmp_path))
    assert result.exit_code == EXIT_INVALID
    lines = result.stderr.splitlines()
    assert len(lines) == len(all_event_schemas())
    assert all(line.endswith("not committed: run petpro events schema") for line in lines)


def test_schema_refuses_to_overwrite_a_breaking_change_unless_forced(tmp_path: Path) -> None:
    petpro("schema", "--dir", str(tmp_path))
    path = schema_path(tmp_path, PET_V1)
    committed = json.loads(path.read_text())
    committed["properties"]["nickname"] = {"type": "string"}
    path.write_text(json.dumps(committed))

    refused = petpro("schema", "--dir", str(tmp_path))
    assert refused.exit_code == EXIT_INVALID
    assert f"error: {PET_V1}: property 'nickname' was removed" in refused.stderr
    assert "nickname" in path.read_text()  # left as it was

    forced = petpro("schema", "--dir", str(tmp_path), "--force")
    assert forced.exit_code == 0, forced.output
    assert "nickname" not in path.read_text()


def test_the_repositorys_registry_passes_the_check() -> None:
    repository = Path(__file__).resolve().parents[2]
    result = petpro("check", "--dir", str(repository / "schemas"))
    assert result.exit_code == 0, result.output
