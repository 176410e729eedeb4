"""Notifications over HTTP on the all-in-one app (memory storage, in-process backbone): a
Japanese-speaking owner books and finds the confirmation in Japanese in their inbox, and by
e-mail through a real SMTP server (aiosmtpd) once the dispatcher runs; events delivered
again send nothing new; the inbox, unread count and mark-read; preferences with validation
errors as problem+json; appointment reminders; the admins' delivery log."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.sql.database import sqlite_url_in
from petpro_core.notification.commands import DispatchDueDeliveries, SendDueReminders
from tests.e2e.conftest import Api, ApiFactory, assert_problem, bearer
from tests.support.clinic_http import BookableClinic, Person, bookable_clinic, ok, owner_with_pet
from tests.support.restock import backbone_settled, eventually, redeliver_everything, requeue_all
from tests.support.smtp import SmtpTestServer, running_smtp_server

DEADLINE = 10.0
FRIDAY = "2026-01-02T09:30:00+09:00"  # the app's clock stands at Thursday 18:00 in Tokyo
MONDAY = "2026-01-05T10:00:00+09:00"


@pytest.fixture
def smtp() -> Iterator[SmtpTestServer]:
    with running_smtp_server() as server:
        yield server


@pytest.fixture
def mail_api(make_api: ApiFactory, smtp: SmtpTestServer) -> Api:
    return make_api(smtp_host=smtp.host, smtp_port=smtp.port, smtp_security="none")


def _settled(api: Api) -> None:
    eventually(lambda: backbone_settled(api), DEADLINE, "every event handled")


def _japanese_owner(api: Api, email: str = "hana@example.com") -> tuple[Person, str]:
    owner, pet_id = owner_with_pet(api, email)
    me = ok(api.client.patch("/users/me", json={"language": "ja"}, headers=owner.headers))
    assert me["language"] == "ja"
    return owner, pet_id


def _book(api: Api, clinic: BookableClinic, owner: Person, pet_id: str, start: str) -> Any:
    body = {
        "pet_id": pet_id,
        "clinic_id": clinic.clinic_id,
        "service_id": clinic.service_id,
        "start": start,
        "payment_method_token": "tok_visa",
    }
    headers = {**owner.headers, "Idempotency-Key": f"book-{start}"}
    return ok(api.client.post("/bookings", json=body, headers=headers), 201)


def _inbox(api: Api, person: Person, **params: Any) -> dict[str, Any]:
    body: dict[str, Any] = ok(
        api.client.get("/notifications", params=params, headers=person.headers)
    )
    return body


def _kinds(api: Api, person: Person) -> list[str]:
    return sorted(m["kind"] for m in _inbox(api, person)["items"])


def _logged_in_again(api: Api, email: str, person: Person) -> Person:
    """A fresh access token after the clock moved past the old one's expiry."""
    return Person(bearer(api.tokens(email)["access_token"]), person.user_id)


def _unread(api: Api, person: Person) -> int:
    count: int = ok(api.client.get("/notifications/unread-count", headers=person.headers))["unread"]
    return count


def test_a_japanese_owner_is_told_in_japanese_in_the_inbox_and_by_email(
    mail_api: Api, smtp: SmtpTestServer
) -> None:
    api = mail_api
    clinic = bookable_clinic(api, vets=1)
    owner, pet_id = _japanese_owner(api)
    _settled(api)  # notification knows the owner speaks Japanese before the booking
    booking = _book(api, clinic, owner, pet_id, FRIDAY)
    _settled(api)

    # By default exactly one in-app message: the confirmation, which states what was paid
    # (receipts are opt-in).
    inbox = _inbox(api, owner)
    [confirmed] = inbox["items"]
    assert confirmed["kind"] == "booking.confirmed" and inbox["total"] == 1
    assert confirmed["subject"] == "ご予約が確定しました"
    assert confirmed["category"] == "appointments" and confirmed["read_at"] is None
    assert "Shibuya Animal Clinic" in confirmed["body"]
    assert "2026年1月2日(金) 09:30 (UTC+09:00)" in confirmed["body"]
    assert "お支払い金額: 6,600円" in confirmed["body"]
    assert booking["id"][-8:].upper() in confirmed["body"]
    assert _unread(api, owner) == 1
    # The vet hears of the booking held for them, in English, in the inbox only.
    [held] = _inbox(api, clinic.vets[0])["items"]
    assert held["kind"] == "booking.created" and held["subject"].startswith("New booking held")

    # The e-mails leave when the dispatcher runs (this pass, or the in-process sweeper's).
    api.execute(DispatchDueDeliveries())
    [confirmation] = smtp.wait_for(1, timeout=DEADLINE)
    assert str(confirmation["Subject"]) == "ご予約が確定しました"
    assert confirmation["To"].addresses[0].addr_spec == "hana@example.com"
    text = confirmation.get_content()
    assert "Shibuya Animal Clinic" in text and "確定しました" in text
    assert "お支払い金額: 6,600円" in text

    # Every event delivered twice more: no second inbox message, no second e-mail.
    assert redeliver_everything(api) > 0
    _settled(api)
    assert api.execute(DispatchDueDeliveries()) == 0
    assert _inbox(api, owner)["total"] == 1
    assert len(smtp.messages) == 1

    log = ok(
        api.client.get(
            "/notifications/deliveries",
            params={"recipient_id": owner.user_id, "channel": "email"},
            headers=clinic.admin.headers,
        )
    )
    assert log["total"] == 1  # every e-mail delivery to the owner, whatever its status
    assert {(d["kind"], d["status"], d["attempts"], d["address"]) for d in log["items"]} == {
        ("booking.confirmed", "sent", 1, "hana@example.com")
    }
    assert {d["language"] for d in log["items"]} == {"ja"}
    by_source = ok(
        api.client.get(
            "/notifications/deliveries",
            params={"source_id": log["items"][0]["source_id"]},
            headers=clinic.admin.headers,
        )
    )
    assert {d["channel"] for d in by_source["items"]} == {"in_app", "email"}


def test_the_inbox_is_read_and_marked_by_its_owner_only(api: Api) -> None:
    clinic = bookable_clinic(api, vets=1)
    owner, pet_id = owner_with_pet(api, "ann@example.com")
    # Receipts are opt-in: the owner turns them on in the inbox, so a booking makes two.
    receipts = api.client.put(
        "/notifications/preferences",
        json={"channels": {"receipts": ["in_app"]}},
        headers=owner.headers,
    )
    assert ok(receipts)["channels"]["receipts"] == ["in_app"]
    _book(api, clinic, owner, pet_id, FRIDAY)
    _settled(api)
    messages = _inbox(api, owner)["items"]
    assert [m["subject"] for m in messages if m["kind"] == "booking.confirmed"] == [
        "Your booking is confirmed"
    ]
    assert sorted(m["kind"] for m in messages) == ["booking.confirmed", "payment.processed"]
    assert len(messages) == 2 and _unread(api, owner) == 2

    first = messages[0]["id"]
    # Another user's ids are ignored: nothing of theirs changes.
    other = clinic.vets[0]
    assert (
        ok(api.client.post("/notifications/read", json={"ids": [first]}, headers=other.headers))[
            "changed"
        ]
        == 0
    )
    assert (
        ok(api.client.post("/notifications/read", json={"ids": [first]}, headers=owner.headers))[
            "changed"
        ]
        == 1
    )
    again = api.client.post("/notifications/read", json={"ids": [first]}, headers=owner.headers)
    assert ok(again)["changed"] == 0
    assert _unread(api, owner) == 1
    unread = _inbox(api, owner, unread_only="true")
    assert unread["total"] == 1 and unread["items"][0]["id"] != first
    read = next(m for m in _inbox(api, owner)["items"] if m["id"] == first)
    assert read["read_at"] is not None

    everything = api.client.post("/notifications/read", json={"all": True}, headers=owner.headers)
    assert ok(everything)["changed"] == 1 and _unread(api, owner) == 0
    paged = _inbox(api, owner, limit=1, offset=1)
    assert paged["total"] == 2 and len(paged["items"]) == 1 and paged["limit"] == 1

    for bad in ({"ids": [first], "all": True}, {}, {"ids": ["not-a-uuid"]}, {"all": False}):
        assert_problem(
            api.client.post("/notifications/read", json=bad, headers=owner.headers),
            422,
            "validation-error",
        )
    assert_problem(api.client.get("/notifications"), 401)
    assert_problem(api.client.get("/notifications/unread-count"), 401)


def test_preferences_round_trip_and_refuse_bad_input(api: Api) -> None:
    owner = api.user("ann@example.com")
    defaults = ok(api.client.get("/notifications/preferences", headers=owner))
    assert defaults["version"] == 0 and defaults["quiet_hours"] is None
    assert defaults["channels"]["appointments"] == ["email", "in_app"]
    assert defaults["channels"]["payments"] == ["email", "in_app"]
    assert defaults["channels"]["receipts"] == []  # opt-in
    assert set(defaults["channels"]) == {
        "appointments",
        "reminders",
        "payments",
        "receipts",
        "shop",
        "stock",
        "purchasing",
    }

    def put(body: dict[str, Any]) -> Any:
        return api.client.put("/notifications/preferences", json=body, headers=owner)

    no_number = assert_problem(put({"channels": {"reminders": ["in_app", "sms"]}}), 422)
    assert no_number["field"] == "sms_number"
    saved = ok(
        put(
            {
                "channels": {"reminders": ["in_app", "sms"], "stock": [], "receipts": ["email"]},
                "sms_number": "+81 90-1234-5678",
                "quiet_hours": {"starts": "22:00", "ends": "07:00", "time_zone": "Asia/Tokyo"},
                "expected_version": 0,
            }
        )
    )
    assert saved["version"] == 1 and saved["sms_number"] == "+819012345678"
    assert saved["channels"]["reminders"] == ["in_app", "sms"]
    assert saved["channels"]["stock"] == [] and saved["channels"]["shop"] == ["email", "in_app"]
    assert saved["channels"]["receipts"] == ["email"]
    assert saved["quiet_hours"] == {"starts": "22:00", "ends": "07:00", "time_zone": "Asia/Tokyo"}
    assert ok(api.client.get("/notifications/preferences", headers=owner)) == saved

    assert_problem(put({"push_token": "abc", "expected_version": 0}), 409, "concurrent-update")
    cleared = ok(put({"quiet_hours": None, "push_token": "device-1", "expected_version": 1}))
    assert cleared["quiet_hours"] is None and cleared["push_token"] == "device-1"
    assert cleared["version"] == 2 and cleared["sms_number"] == "+819012345678"

    for body, field in (
        (
            {"quiet_hours": {"starts": "25:00", "ends": "07:00", "time_zone": "UTC"}},
            "quiet_hours.starts",
        ),
        (
            {"quiet_hours": {"starts": "22:00", "ends": "07:00", "time_zone": "Mars/Base"}},
            "quiet_hours.time_zone",
        ),
        ({"channels": {"weekly": ["email"]}}, "channels"),
        ({"channels": {"shop": ["pigeon"]}}, "channels.shop"),
        ({"sms_number": "0901234"}, "sms_number"),
    ):
        problem = assert_problem(put(body), 422, "invalid-input")
        assert problem["field"] == field, problem
    for body in ({"colour": "blue"}, {"channels": None}, {"channels": {"shop": "email"}}):
        assert_problem(put(body), 422, "validation-error")
    assert ok(api.client.get("/notifications/preferences", headers=owner))["version"] == 2


def test_the_delivery_log_is_for_admins_only(api: Api) -> None:
    clinic = bookable_clinic(api, vets=1)
    owner, pet_id = owner_with_pet(api, "ann@example.com")
    _book(api, clinic, owner, pet_id, FRIDAY)
    _settled(api)
    assert_problem(
        api.client.get("/notifications/deliveries", headers=owner.headers), 403, "admin-only"
    )
    assert_problem(api.client.get("/notifications/deliveries", headers=clinic.desk.headers), 403)
    admin = clinic.admin.headers
    everything = ok(api.client.get("/notifications/deliveries", headers=admin))
    # The owner: the confirmation (no receipt: opt-in), in-app and e-mail; the vet: the held
    # booking.
    assert everything["total"] == 3
    owners = ok(
        api.client.get(
            "/notifications/deliveries", params={"recipient_id": owner.user_id}, headers=admin
        )
    )
    assert sorted((d["kind"], d["channel"]) for d in owners["items"]) == [
        ("booking.confirmed", "email"),
        ("booking.confirmed", "in_app"),
    ]
    pending = ok(
        api.client.get("/notifications/deliveries", params={"status": "pending"}, headers=admin)
    )
    # E-mail goes through the logging adapter here (no SMTP configured) once dispatched.
    assert (
        pending["total"]
        + ok(
            api.client.get(
                "/notifications/deliveries",
                params={"status": "sent", "channel": "email"},
                headers=admin,
            )
        )["total"]
        == 1
    )
    held = ok(
        api.client.get(
            "/notifications/deliveries", params={"kind": "booking.created"}, headers=admin
        )
    )
    assert [(d["recipient_id"], d["channel"]) for d in held["items"]] == [
        (clinic.vets[0].user_id, "in_app")
    ]
    assert_problem(
        api.client.get("/notifications/deliveries", params={"status": "lost"}, headers=admin),
        422,
        "invalid-input",
    )
    assert_problem(
        api.client.get("/notifications/deliveries", params={"channel": "fax"}, headers=admin),
        422,
    )
    assert_problem(
        api.client.get(
            "/notifications/deliveries", params={"recipient_id": "nobody"}, headers=admin
        ),
        422,
        "validation-error",
    )


def test_a_reminder_comes_a_day_before_and_not_for_a_cancelled_booking(api: Api) -> None:
    clinic = bookable_clinic(api, vets=1)
    owner, pet_id = _japanese_owner(api)
    _settled(api)
    kept = _book(api, clinic, owner, pet_id, MONDAY)
    dropped = _book(api, clinic, owner, pet_id, "2026-01-05T15:00:00+09:00")
    cancel = api.client.post(
        f"/bookings/{dropped['id']}/cancel", json={"reason": "plans changed"}, headers=owner.headers
    )
    ok(cancel)
    _settled(api)
    assert "booking.cancelled" in _kinds(api, owner)
    assert api.execute(SendDueReminders()) == 0  # not due yet

    # Sunday 10:00 in Tokyo: 24 hours before the kept booking.
    api.clock.advance(timedelta(days=2, hours=16))
    owner = _logged_in_again(api, "hana@example.com", owner)
    assert api.execute(SendDueReminders()) in (0, 1)  # 0 when the sweeper was quicker
    reminders = [m for m in _inbox(api, owner)["items"] if m["kind"] == "booking.reminder"]
    assert len(reminders) == 1
    when = "2026年1月5日(月) 10:00 (UTC+09:00)"
    assert reminders[0]["subject"] == f"ご予約日時のお知らせ（{when}）"  # noqa: RUF001
    assert kept["id"][-8:].upper() in reminders[0]["body"]
    assert reminders[0]["category"] == "reminders"
    api.clock.advance(timedelta(hours=6))  # the cancelled one's time passes too
    assert api.execute(SendDueReminders()) == 0
    owner = _logged_in_again(api, "hana@example.com", owner)
    assert len([k for k in _kinds(api, owner) if k == "booking.reminder"]) == 1


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        data_dir = tmp_path / "data"
        shutil.copytree(request.getfixturevalue("_sqlite_template"), data_dir)
        return sqlite_url_in(data_dir)
    url: str = request.getfixturevalue("clean_postgres_url")
    return url


def test_on_a_database_the_confirmation_is_written_once_and_mailed_once(
    make_api: ApiFactory, smtp: SmtpTestServer, database_url: str
) -> None:
    api = make_api(
        database_url=database_url, smtp_host=smtp.host, smtp_port=smtp.port, smtp_security="none"
    )
    clinic = bookable_clinic(api, vets=1)
    owner, pet_id = _japanese_owner(api)
    _settled(api)
    _book(api, clinic, owner, pet_id, FRIDAY)
    _settled(api)
    # By default exactly one in-app message and one e-mail: the confirmation, with the price.
    [confirmed] = _inbox(api, owner)["items"]
    assert confirmed["kind"] == "booking.confirmed"
    assert "お支払い金額: 6,600円" in confirmed["body"]
    assert _unread(api, owner) == 1

    api.execute(DispatchDueDeliveries())
    [mail] = smtp.wait_for(1, timeout=DEADLINE)
    assert str(mail["Subject"]) == "ご予約が確定しました"
    assert "お支払い金額: 6,600円" in mail.get_content()

    # Replayed from the outboxes: the same delivery ids, nothing new stored or sent.
    assert api.client.blocking_portal.call(requeue_all, api) > 0
    _settled(api)
    assert api.execute(DispatchDueDeliveries()) == 0
    assert _inbox(api, owner)["total"] == 1 and len(smtp.messages) == 1
    changed = ok(api.client.post("/notifications/read", json={"all": True}, headers=owner.headers))
    assert changed["changed"] == 1 and _unread(api, owner) == 0
    saved = ok(
        api.client.put(
            "/notifications/preferences",
            json={"channels": {"receipts": ["in_app"]}, "expected_version": 0},
            headers=owner.headers,
        )
    )
    assert saved["version"] == 1 and saved["channels"]["receipts"] == ["in_app"]
    assert ok(api.client.get("/notifications/preferences", headers=owner.headers)) == saved
    stale = api.client.put(
        "/notifications/preferences", json={"expected_version": 0}, headers=owner.headers
    )
    assert_problem(stale, 409, "concurrent-update")
    log = ok(
        api.client.get(
            "/notifications/deliveries",
            params={"recipient_id": owner.user_id},
            headers=clinic.admin.headers,
        )
    )
    # One message, in-app and e-mail, both sent; nothing else for the owner.
    assert sorted((d["kind"], d["channel"], d["status"]) for d in log["items"]) == [
        ("booking.confirmed", "email", "sent"),
        ("booking.confirmed", "in_app", "sent"),
    ]
