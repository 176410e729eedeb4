"""Registering users: e-mail, display name, language and the password policy."""

from __future__ import annotations

import pytest

from adapters.memory.unit_of_work import InMemoryStore
from adapters.security.passwords import ZxcvbnPasswordStrength
from petpro_core.auth.commands import CreateUser, RegisterUser
from petpro_core.auth.domain.errors import EmailAlreadyRegistered, InvalidCredentials, WeakPassword
from petpro_core.auth.domain.roles import Role
from petpro_core.auth.domain.users import Language
from petpro_core.contracts.auth import UserCreated
from petpro_core.shared.errors import Conflict, InvalidInput, PermissionDenied, RuleViolated
from tests.support.auth import STRONG_PASSWORD, AuthHarness
from tests.unit.builders import login, principal, register

STRONG_12 = "xk4mq9vt2wpz"


def full_width(text: str) -> str:
    """The same text as typed on a Japanese keyboard: full-width letters and spaces."""
    return "".join("\u3000" if ch == " " else chr(ord(ch) + 0xFEE0) for ch in text)


def _stored_users(store: InMemoryStore) -> list:  # type: ignore[type-arg]
    return list(store.state.users.values())


# -- e-mail --------------------------------------------------------------------


async def test_email_is_normalised_before_storage(
    harness: AuthHarness, store: InMemoryStore
) -> None:  # type: ignore[type-arg]
    user = await register(harness.bus, "  Ann@Example.COM ")
    assert user.email == "ann@example.com"
    assert store.state.users[user.id].email == "ann@example.com"


async def test_email_uniqueness_ignores_case_and_whitespace(
    harness: AuthHarness,
    store: InMemoryStore,  # type: ignore[type-arg]
) -> None:
    await register(harness.bus, "ann@example.com")
    with pytest.raises(EmailAlreadyRegistered) as caught:
        await register(harness.bus, " ANN@example.com")
    assert isinstance(caught.value, Conflict)
    assert caught.value.code == "email-taken"
    assert len(_stored_users(store)) == 1
    assert len(store.outbox) == 1


@pytest.mark.parametrize(
    "email",
    ["", "ann", "ann@", "@example.com", "ann@example", "ann@@example.com", "a b@example.com"],
)
async def test_malformed_emails_are_rejected(harness: AuthHarness, email: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        await register(harness.bus, email)
    assert caught.value.extra["field"] == "email"


# -- password policy -----------------------------------------------------------


async def test_eleven_characters_are_too_short_even_when_random(harness: AuthHarness) -> None:
    with pytest.raises(WeakPassword, match="at least 12") as caught:
        await register(harness.bus, password=STRONG_12[:11])
    assert caught.value.code == "weak-password"
    assert caught.value.extra["field"] == "password"


async def test_twelve_strong_characters_are_accepted(harness: AuthHarness) -> None:
    user = await register(harness.bus, password=STRONG_12)
    assert (await login(harness.bus, password=STRONG_12)).access_token
    assert user.email == "ann@example.com"


async def test_a_128_character_passphrase_is_accepted(harness: AuthHarness) -> None:
    passphrase = ("violet tangerine lantern orbit " * 5)[:128]
    assert len(passphrase) == 128
    await register(harness.bus, password=passphrase)
    assert (await login(harness.bus, password=passphrase)).access_token


async def test_the_longest_allowed_password_is_accepted_and_one_more_is_not(
    harness: AuthHarness,
) -> None:
    longest = ("quiet amber harbour kestrel " * 10)[:256]
    await register(harness.bus, "long@example.com", password=longest)
    with pytest.raises(WeakPassword, match="at most 256"):
        await register(harness.bus, "longer@example.com", password=longest + "x")
    with pytest.raises(WeakPassword, match="at most 256"):
        await register(harness.bus, "longest@example.com", password="x" * 10_000)


async def test_no_composition_rules_an_all_lowercase_passphrase_passes(
    harness: AuthHarness,
) -> None:
    passphrase = "tangerine lantern velvet orbit"
    assert passphrase == passphrase.lower() and not any(c.isdigit() for c in passphrase)
    await register(harness.bus, password=passphrase)


@pytest.mark.parametrize("guessable", ["password1234", "qwertyuiop123", "aaaaaaaaaaaaaaaa"])
async def test_common_and_guessable_passwords_are_rejected(
    harness: AuthHarness,
    store: InMemoryStore,
    guessable: str,  # type: ignore[type-arg]
) -> None:
    with pytest.raises(WeakPassword, match="too easy to guess"):
        await register(harness.bus, password=guessable)
    assert _stored_users(store) == []
    assert store.outbox == []


async def test_a_password_containing_the_email_local_part_is_rejected(
    harness: AuthHarness,
) -> None:
    password = "tangerine lantern velvet orbit"
    with pytest.raises(WeakPassword, match="e-mail"):
        await register(harness.bus, "Tangerine@example.com", password=password)
    # the same password is fine for somebody else
    await register(harness.bus, "someone@example.com", password=password)


async def test_nfkc_normalisation_lets_a_full_width_variant_log_in(harness: AuthHarness) -> None:
    await register(harness.bus, password="correct horse battery staple")
    variant = full_width("correct horse battery staple")
    assert variant != "correct horse battery staple"
    assert (await login(harness.bus, password=variant)).access_token


async def test_full_width_registration_matches_an_ascii_login(harness: AuthHarness) -> None:
    await register(harness.bus, password=full_width("tangerine lantern velvet"))
    assert (await login(harness.bus, password="tangerine lantern velvet")).access_token


async def test_long_passwords_are_not_truncated(harness: AuthHarness) -> None:
    base = "amber harbour kestrel quietly folding paper lanterns beneath violet skies "
    first, second = base + "one1", base + "one2"
    assert len(first.encode()) > 72  # past bcrypt's silent truncation point
    await register(harness.bus, password=first)
    assert (await login(harness.bus, password=first)).access_token
    with pytest.raises(InvalidCredentials):
        await login(harness.bus, password=second)


# -- display name and language ------------------------------------------------


async def test_display_name_is_normalised_and_trimmed(harness: AuthHarness) -> None:
    user = await register(harness.bus, display_name=f"  {full_width('Ann')}  Owner ")
    assert user.display_name == "Ann  Owner"


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "Ann\x00", "Ann\u200b", "An\nn"])
async def test_invalid_display_names_are_rejected(harness: AuthHarness, name: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        await register(harness.bus, display_name=name)
    assert caught.value.extra["field"] == "display_name"


async def test_display_name_of_exactly_100_characters_is_accepted(harness: AuthHarness) -> None:
    user = await register(harness.bus, display_name="y" * 100)
    assert len(user.display_name) == 100


@pytest.mark.parametrize("language", ["en", "ja"])
async def test_english_and_japanese_are_supported(harness: AuthHarness, language: str) -> None:
    user = await register(harness.bus, language=language)
    assert user.language is Language(language)


@pytest.mark.parametrize("language", ["fr", "EN", "", "en-US"])
async def test_other_languages_are_rejected(harness: AuthHarness, language: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        await register(harness.bus, language=language)
    assert caught.value.extra["field"] == "language"


# -- what gets stored and published -------------------------------------------


async def test_registration_records_user_created_with_the_public_fields(
    harness: AuthHarness,
    store: InMemoryStore,  # type: ignore[type-arg]
) -> None:
    user = await register(harness.bus, " Ann@Example.com", display_name="Ann Owner", language="ja")
    assert len(store.outbox) == 1
    event = store.outbox[0]
    assert isinstance(event, UserCreated)
    assert event.user_id == user.id == event.aggregate_id
    assert event.email == "ann@example.com"
    assert event.display_name == "Ann Owner"
    assert event.roles == ("pet_owner",)
    assert event.language == "ja"
    assert event.aggregate_version == 1
    assert event.occurred_at == harness.clock.now()
    assert not hasattr(event, "password_hash")


async def test_registration_stores_an_argon2id_hash_never_the_password(
    harness: AuthHarness,
    store: InMemoryStore,  # type: ignore[type-arg]
) -> None:
    user = await register(harness.bus)
    stored = store.state.users[user.id]
    assert stored.password_hash.startswith("$argon2id$")
    assert STRONG_PASSWORD not in stored.password_hash
    assert await harness.hasher.verify(stored.password_hash, STRONG_PASSWORD)
    assert stored.version == 1
    assert stored.created_at == stored.updated_at == harness.clock.now()
    assert "password" not in repr(
        RegisterUser(email="a@b.cd", display_name="x", password="s3cr3t!")
    )


async def test_same_password_twice_gives_different_salted_hashes(
    harness: AuthHarness,
    store: InMemoryStore,  # type: ignore[type-arg]
) -> None:
    first = await register(harness.bus, "one@example.com")
    second = await register(harness.bus, "two@example.com")
    users = store.state.users
    assert users[first.id].password_hash != users[second.id].password_hash


async def test_self_registered_users_are_pet_owners_and_admins_create_others(
    harness: AuthHarness,
) -> None:
    owner = await register(harness.bus, "owner@example.com")
    vet = await register(harness.bus, "vet@example.com", roles=frozenset({Role.VET}))
    assert owner.roles == {Role.PET_OWNER}
    assert vet.roles == {Role.VET}
    with pytest.raises(RuleViolated):
        await register(harness.bus, "empty@example.com", roles=frozenset())


async def test_only_admins_create_users_with_roles(harness: AuthHarness) -> None:
    owner = principal(await register(harness.bus, "owner@example.com"))
    with pytest.raises(PermissionDenied):
        await harness.bus.execute(
            CreateUser(
                actor=owner,
                email="mallory@example.com",
                display_name="Mallory",
                password=STRONG_PASSWORD,
                roles=frozenset({Role.ADMIN}),
            )
        )
    async with harness.uow() as uow:
        assert await uow.users.get_by_email("mallory@example.com") is None


@pytest.mark.parametrize("length", [72, 73, 100, 256])
def test_strength_estimator_copes_with_any_allowed_length(length: int) -> None:
    # zxcvbn itself raises ValueError past 72 characters; the adapter must not pass it more.
    password = ("quiet amber harbour kestrel " * 10)[:length]
    assert ZxcvbnPasswordStrength().score(password, ["ann@example.com"]) >= 3
