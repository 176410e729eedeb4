"""`petpro clinics …` through Typer's runner on the embedded SQLite store: the operator
opens a clinic, staffs it, offers services, sets hours and exceptions; errors are one line
with the documented exit code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cli.clinics import parse_compact_hours
from cli.errors import EXIT_INVALID, EXIT_NOT_FOUND, EXIT_USAGE
from tests.e2e.cli_support import STRONG_PASSWORD, cli_env, invoke
from tests.e2e.test_cli import one_line_error

_ID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path / "data", COLUMNS="200")  # wide enough for whole ids


def _ok(args: list[str], env: dict[str, str], input: str | None = None) -> str:
    result = invoke(args, env, input=input)
    assert result.exit_code == 0, result.output
    return result.stdout


def _vet(env: dict[str, str], email: str) -> None:
    _ok(
        ["users", "create-admin", "--email", email, "--password-stdin"], env, STRONG_PASSWORD + "\n"
    )
    _ok(["users", "grant", email, "vet"], env)


def _create_clinic(env: dict[str, str], name: str = "Shibuya Animal Clinic") -> str:
    out = _ok(
        [
            "clinics", "create", "--name", name, "--time-zone", "Asia/Tokyo",
            "--line", "1-2-3 Jingumae", "--line", "2F", "--locality", "Shibuya",
            "--country", "JP", "--slot-minutes", "20",
        ],
        env,
    )  # fmt: skip
    matched = re.search(rf"created clinic {re.escape(name)} \(({_ID})\)", out)
    assert matched, out
    return matched[1]


def test_the_operator_runs_a_clinic_from_the_console(env: dict[str, str]) -> None:
    clinic = _create_clinic(env)
    _vet(env, "vet@example.com")

    listed = _ok(["clinics", "list"], env)
    assert "Shibuya Animal Clinic" in listed and "1 to 1 of 1" in listed and clinic in listed

    added = _ok(["clinics", "staff", "add", clinic, "vet@example.com", "--role", "vet"], env)
    assert "is vet at Shibuya Animal Clinic" in added

    service = _ok(
        [
            "clinics", "services", "add", clinic, "--name", "Vaccination", "--duration", "30",
            "--price", "6600", "--currency", "JPY", "--buffer-after", "10",
            "--species", "dog", "--vet", "vet@example.com",
        ],
        env,
    )  # fmt: skip
    assert "added service Vaccination" in service and "6600 JPY" in service
    services = _ok(["clinics", "services", "list", clinic], env)
    assert "Vaccination" in services and "6600 JPY" in services and "dog" in services

    hours = _ok(
        [
            "clinics", "hours", "set", clinic, "--vet", "vet@example.com",
            "--day", "tue", "--from", "09:00", "--to", "12:00",
            "--hours", "mon=09:00-12:30,14:00-18:00",
        ],
        env,
    )  # fmt: skip
    assert hours.count("09:00") == 2 and "14:00" in hours and "tue" in hours

    exception = _ok(
        [
            "clinics", "exceptions", "add", clinic, "--kind", "holiday",
            "--first-day", "2099-05-05", "--reason", "Children's Day",
        ],
        env,
    )  # fmt: skip
    exception_id = re.search(rf"added holiday ({_ID})", exception)
    assert exception_id, exception

    shown = _ok(["clinics", "show", clinic], env)
    assert "Asia/Tokyo" in shown and "slots every 20 min" in shown
    assert "Children's Day" in shown and "Vaccination" in shown and "(vet)" in shown

    _ok(["clinics", "exceptions", "remove", clinic, exception_id[1]], env)
    assert "Children's Day" not in _ok(["clinics", "show", clinic], env)

    removed = _ok(["clinics", "staff", "remove", clinic, "vet@example.com"], env)
    assert "no longer on the staff" in removed
    shown = _ok(["clinics", "show", clinic], env)
    assert "(vet)" not in shown and "mon" not in shown


def test_clinic_errors_are_one_line_with_exit_codes(env: dict[str, str]) -> None:
    clinic = _create_clinic(env)
    bad_zone = invoke(
        [
            "clinics", "create", "--name", "X", "--time-zone", "Mars/Olympus", "--line", "1",
            "--locality", "Y", "--country", "JP",
        ],
        env,
    )  # fmt: skip
    assert bad_zone.exit_code == EXIT_INVALID
    assert "unknown IANA time zone" in one_line_error(bad_zone)

    unknown = invoke(["clinics", "show", "01900000-0000-7000-8000-000000000000"], env)
    assert unknown.exit_code == EXIT_NOT_FOUND
    assert "no such clinic" in one_line_error(unknown)

    not_an_id = invoke(["clinics", "show", "shibuya"], env)
    assert not_an_id.exit_code == EXIT_USAGE and "UUID" in one_line_error(not_an_id)

    no_user = invoke(["clinics", "staff", "add", clinic, "nobody@example.com"], env)
    assert no_user.exit_code == EXIT_NOT_FOUND

    _vet(env, "vet@example.com")
    _ok(["clinics", "staff", "add", clinic, "vet@example.com"], env)
    overlapping = invoke(
        ["clinics", "hours", "set", clinic, "--vet", "vet@example.com", "--hours",
         "mon=09:00-12:00,11:00-13:00"],
        env,
    )  # fmt: skip
    assert overlapping.exit_code == EXIT_INVALID and "overlaps" in one_line_error(overlapping)
    unpaired = invoke(
        ["clinics", "hours", "set", clinic, "--vet", "vet@example.com", "--day", "mon"], env
    )
    assert unpaired.exit_code == EXIT_USAGE and "same number" in one_line_error(unpaired)
    nothing = invoke(["clinics", "hours", "set", clinic, "--vet", "vet@example.com"], env)
    assert nothing.exit_code == EXIT_USAGE and "--clear" in one_line_error(nothing)


def test_compact_hours() -> None:
    intervals = parse_compact_hours("Wed=09:00-12:30, 14:00-18:00")
    assert [
        (i.weekday, i.starts.isoformat("minutes"), i.ends.isoformat("minutes")) for i in intervals
    ] == [
        (3, "09:00", "12:30"),
        (3, "14:00", "18:00"),
    ]
