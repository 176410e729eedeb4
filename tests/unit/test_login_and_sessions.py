"""Login, throttling, password re-hashing, refresh rotation, logout and password change."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

import pytest

from adapters.memory.auth import InMemoryAuthUnitOfWork
from adapters.memory.unit_of_work import InMemoryStore
from adapters.security.passwords import Argon2Parameters, Argon2PasswordHasher
from petpro_core.auth.commands import Authenticate, ChangePassword, Logout, RefreshSession
from petpro_core.auth.domain.errors import (
    ConcurrentUpdate,
    InvalidCredentials,
    InvalidToken,
    WeakPassword,
)
from petpro_core.auth.domain.roles import Principal, Role
from petpro_core.auth.domain.throttling import ThrottleRule, account_key, address_key
from petpro_core.auth.handlers import AuthRules, TokenPair
from petpro_core.contracts.auth import UserCreated
from petpro_core.shared.errors import TooManyAttempts, Unauthenticated
from tests.support.auth import (
    FAST_ARGON2,
    STRONG_PASSWORD,
    AuthHarness,
    auth_harness,
    memory_harness,
)
from tests.unit.builders import ADDRESS, login, principal, register
from tests.unit.fakes import CountingHasher

WRONG = "definitely not the password"
NEW_PASSWORD = "tangerine lantern velvet orbit"


async def _fail(
    harness: AuthHarness, email: str, times: int, *, address: str = "198.51.100.1"
) -> None:
    for _ in range(times):
        with pytest.raises(InvalidCredentials):
            await login(harness.bus, email, WRONG, address=address)


async def _authenticate(harness: AuthHarness, pair: TokenPair) -> Principal:
    result: Principal = await harness.bus.execute(Authenticate(access_token=pair.access_token))
    return result


async def _refresh(harness: AuthHarness, pair: TokenPair) -> TokenPair:
    result: TokenPair = await harness.bus.execute(RefreshSession(refresh_token=pair.refresh_token))
    return result


# -- login ---------------------------------------------------------------------


async def test_login_returns_a_bearer_token_pair(harness: AuthHarness) -> None:
    user = await register(harness.bus)
    pair = await login(harness.bus, " ANN@example.com ")
    assert pair.token_type == "bearer"
    assert pair.expires_in == 900
    assert pair.refresh_token and pair.refresh_token not in repr(pair)
    claims = harness.tokens.verify_access_token(pair.access_token, now=harness.clock.now())
    assert claims.user_id == user.id
    assert claims.roles == {Role.PET_OWNER}
    assert (claims.expires_at - claims.issued_at) == timedelta(seconds=900)
    assert await _authenticate(harness, pair) == Principal(user_id=user.id, roles=user.roles)


async def test_each_login_starts_its_own_session(
    harness: AuthHarness, store: InMemoryStore
) -> None:  # type: ignore[type-arg]
    await register(harness.bus)
    first, second = await login(harness.bus), await login(harness.bus)
    assert first.refresh_token != second.refresh_token
    families = {t.family_id for t in store.state.refresh_tokens.values()}
    assert len(families) == 2
    # only hashes of refresh tokens are stored
    assert first.refresh_token not in store.state.refresh_tokens


async def test_wrong_password_and_unknown_email_are_indistinguishable(harness: AuthHarness) -> None:
    await register(harness.bus)
    with pytest.raises(InvalidCredentials) as wrong_password:
        await login(harness.bus, "ann@example.com", WRONG)
    with pytest.raises(InvalidCredentials) as unknown_email:
        await login(harness.bus, "nobody@example.com", STRONG_PASSWORD)
    assert type(wrong_password.value) is type(unknown_email.value)
    assert str(wrong_password.value) == str(unknown_email.value)
    assert wrong_password.value.detail == unknown_email.value.detail
    assert wrong_password.value.code == unknown_email.value.code == "invalid-credentials"
    assert isinstance(unknown_email.value, Unauthenticated)


async def test_unknown_email_still_runs_a_password_verification() -> None:
    hasher = CountingHasher(Argon2PasswordHasher(FAST_ARGON2))
    harness, _ = memory_harness(hasher=hasher)
    await register(harness.bus)
    hasher.reset()

    with pytest.raises(InvalidCredentials):
        await login(harness.bus, "nobody@example.com", STRONG_PASSWORD)
    assert hasher.calls["verify"] == 1
    assert hasher.verified_hashes[0].startswith("$argon2id$")

    with pytest.raises(InvalidCredentials):
        await login(harness.bus, "ann@example.com", WRONG)
    assert hasher.calls["verify"] == 2


# -- throttling ----------------------------------------------------------------


async def test_ten_failures_lock_the_account_even_for_the_right_password(
    harness: AuthHarness,
    store: InMemoryStore,  # type: ignore[type-arg]
) -> None:
    await register(harness.bus)
    await _fail(harness, "ann@example.com", 10)
    with pytest.raises(TooManyAttempts) as caught:
        await login(harness.bus)
    assert caught.value.code == "too-many-attempts"
    assert 0 < caught.value.retry_after_seconds <= 900
    assert caught.value.extra["retry_after"] == caught.value.retry_after_seconds
    # a throttled attempt is not itself counted as a failure
    assert len(store.state.login_failures[account_key("ann@example.com")]) == 10


async def test_retry_after_counts_down_from_the_oldest_failure(harness: AuthHarness) -> None:
    await register(harness.bus)
    for _ in range(10):
        await _fail(harness, "ann@example.com", 1)
        harness.clock.advance(timedelta(seconds=10))
    with pytest.raises(TooManyAttempts) as caught:
        await login(harness.bus)
    assert caught.value.retry_after_seconds == 900 - 100
    # once the oldest failure leaves the window, nine remain and the right password works
    harness.clock.advance(timedelta(seconds=801))
    assert (await login(harness.bus)).access_token


async def test_the_lock_lifts_after_the_window(harness: AuthHarness) -> None:
    await register(harness.bus)
    await _fail(harness, "ann@example.com", 10)
    harness.clock.advance(timedelta(minutes=14, seconds=59))
    with pytest.raises(TooManyAttempts) as caught:
        await login(harness.bus)
    assert caught.value.retry_after_seconds == 1
    harness.clock.advance(timedelta(seconds=2))
    assert (await login(harness.bus)).access_token


async def test_unknown_emails_are_throttled_like_real_accounts(harness: AuthHarness) -> None:
    await _fail(harness, "Ghost@Example.com", 10)
    with pytest.raises(TooManyAttempts):
        await login(harness.bus, "ghost@example.com", STRONG_PASSWORD)
    # and the lockout of a real account looks exactly the same
    await register(harness.bus, "real@example.com")
    await _fail(harness, "real@example.com", 10)
    with pytest.raises(TooManyAttempts) as real:
        await login(harness.bus, "real@example.com", STRONG_PASSWORD)
    with pytest.raises(TooManyAttempts) as ghost:
        await login(harness.bus, "ghost@example.com", STRONG_PASSWORD)
    assert str(real.value) == str(ghost.value)


async def test_the_account_throttle_is_per_account(harness: AuthHarness) -> None:
    await register(harness.bus, "ann@example.com")
    await register(harness.bus, "bob@example.com")
    await _fail(harness, "ann@example.com", 10)
    assert (await login(harness.bus, "bob@example.com")).access_token


async def test_the_address_throttle_spans_accounts() -> None:
    rules = AuthRules(address_throttle=ThrottleRule(3, timedelta(minutes=5)))
    harness, store = memory_harness(rules=rules)
    await register(harness.bus, "victim@example.com")
    for target in ("a@example.com", "b@example.com", "c@example.com"):
        await _fail(harness, target, 1, address="192.0.2.66")
    with pytest.raises(TooManyAttempts) as caught:
        await login(harness.bus, "victim@example.com", address="192.0.2.66")
    assert 0 < caught.value.retry_after_seconds <= 300
    assert len(store.state.login_failures[address_key("192.0.2.66")]) == 3
    # the same account from another address is fine
    assert (await login(harness.bus, "victim@example.com", address="192.0.2.1")).access_token
    harness.clock.advance(timedelta(minutes=5, seconds=1))
    assert (await login(harness.bus, "victim@example.com", address="192.0.2.66")).access_token


async def test_a_successful_login_clears_the_accounts_failures(
    harness: AuthHarness,
    store: InMemoryStore,  # type: ignore[type-arg]
) -> None:
    await register(harness.bus)
    await _fail(harness, "ann@example.com", 9)
    await login(harness.bus)
    assert account_key("ann@example.com") not in store.state.login_failures
    await _fail(harness, "ann@example.com", 9)
    assert (await login(harness.bus)).access_token  # 18 failures in the window, but cleared


# -- re-hashing ----------------------------------------------------------------


async def test_login_rehashes_when_the_argon2_parameters_change() -> None:
    old, store = memory_harness()
    user = await register(old.bus)
    old_hash = store.state.users[user.id].password_hash
    assert "m=1024,t=1,p=1" in old_hash

    stronger = Argon2PasswordHasher(Argon2Parameters(memory_cost_kib=2048, time_cost=2))
    new = auth_harness(lambda: InMemoryAuthUnitOfWork(store), hasher=stronger)
    assert (await login(new.bus)).access_token

    new_hash = store.state.users[user.id].password_hash
    assert new_hash != old_hash
    assert new_hash.startswith("$argon2id$") and "m=2048,t=2,p=1" in new_hash
    assert not stronger.needs_rehash(new_hash)
    assert (await login(new.bus)).access_token
    assert store.state.users[user.id].password_hash == new_hash  # settled, not re-hashed again
    # credentials are private: no event; but a new version, so stale writers conflict
    assert [type(e) for e in store.outbox] == [UserCreated]
    assert store.state.users[user.id].version == 2


async def test_login_does_not_rehash_with_equal_parameters() -> None:
    old, store = memory_harness()
    user = await register(old.bus)
    old_hash = store.state.users[user.id].password_hash

    same = CountingHasher(Argon2PasswordHasher(Argon2Parameters(**asdict(FAST_ARGON2))))
    new = auth_harness(lambda: InMemoryAuthUnitOfWork(store), hasher=same)  # type: ignore[arg-type]
    await login(new.bus)
    assert same.calls["needs_rehash"] == 1
    assert same.calls["hash"] == 0
    assert store.state.users[user.id].password_hash == old_hash


# -- refresh sessions ----------------------------------------------------------


async def test_refresh_rotates_the_refresh_token(harness: AuthHarness) -> None:
    user = await register(harness.bus)
    first = await login(harness.bus)
    harness.clock.advance(timedelta(minutes=20))  # the first access token has expired
    second = await _refresh(harness, first)
    assert second.refresh_token != first.refresh_token
    assert second.expires_in == 900
    assert (await _authenticate(harness, second)).user_id == user.id
    third = await _refresh(harness, second)  # the new one works
    assert third.refresh_token not in {first.refresh_token, second.refresh_token}
    with pytest.raises(InvalidToken):
        await _refresh(harness, first)  # the old one does not


async def test_reusing_a_rotated_token_revokes_the_whole_family(harness: AuthHarness) -> None:
    await register(harness.bus)
    other_session = await login(harness.bus)
    first = await login(harness.bus)
    second = await _refresh(harness, first)

    with pytest.raises(InvalidToken, match="already used") as caught:
        await _refresh(harness, first)
    assert caught.value.code == "invalid-token"
    with pytest.raises(InvalidToken):
        await _refresh(harness, second)  # the newest token of the family is dead too
    with pytest.raises(InvalidToken):
        await _authenticate(harness, second)  # and so is the session's access token
    # other sessions of the same user are untouched
    assert (await _authenticate(harness, other_session)).roles == {Role.PET_OWNER}
    assert (await _refresh(harness, other_session)).access_token


async def test_an_unknown_refresh_token_is_invalid(harness: AuthHarness) -> None:
    with pytest.raises(InvalidToken):
        await harness.bus.execute(RefreshSession(refresh_token="made-up"))


async def test_refresh_tokens_expire_after_fourteen_days(harness: AuthHarness) -> None:
    await register(harness.bus)
    pair = await login(harness.bus)
    harness.clock.advance(timedelta(days=13))
    pair = await _refresh(harness, pair)
    harness.clock.advance(timedelta(days=15))
    with pytest.raises(InvalidToken, match="expired"):
        await _refresh(harness, pair)


async def test_access_tokens_expire_after_fifteen_minutes(harness: AuthHarness) -> None:
    await register(harness.bus)
    pair = await login(harness.bus)
    harness.clock.advance(timedelta(minutes=14))
    assert await _authenticate(harness, pair)
    harness.clock.advance(timedelta(minutes=2))
    with pytest.raises(InvalidToken):
        await _authenticate(harness, pair)


async def test_garbage_access_tokens_do_not_authenticate(harness: AuthHarness) -> None:
    with pytest.raises(InvalidToken):
        await harness.bus.execute(Authenticate(access_token="not.a.jwt"))


async def test_logout_ends_the_session(harness: AuthHarness) -> None:
    await register(harness.bus)
    kept = await login(harness.bus)
    pair = await login(harness.bus)
    assert await harness.bus.execute(Logout(refresh_token=pair.refresh_token)) is None
    with pytest.raises(InvalidToken):
        await _refresh(harness, pair)
    with pytest.raises(InvalidToken):
        await _authenticate(harness, pair)
    assert await _authenticate(harness, kept)


async def test_logout_with_an_unknown_token_is_a_silent_no_op(
    harness: AuthHarness,
    store: InMemoryStore,  # type: ignore[type-arg]
) -> None:
    await register(harness.bus)
    pair = await login(harness.bus)
    before = dict(store.state.refresh_tokens)
    assert await harness.bus.execute(Logout(refresh_token="no-such-token")) is None
    assert store.state.refresh_tokens == before
    assert await _authenticate(harness, pair)


# -- password change -----------------------------------------------------------


async def test_password_change_with_a_wrong_current_password_is_refused(
    harness: AuthHarness,
) -> None:
    user = await register(harness.bus)
    pair = await login(harness.bus)
    with pytest.raises(InvalidCredentials, match="current password"):
        await harness.bus.execute(
            ChangePassword(actor=principal(user), current_password=WRONG, new_password=NEW_PASSWORD)
        )
    assert await _authenticate(harness, pair)
    assert (await login(harness.bus)).access_token
    with pytest.raises(InvalidCredentials):
        await login(harness.bus, password=NEW_PASSWORD)


async def test_password_change_revokes_every_session_and_swaps_the_password(
    harness: AuthHarness,
    store: InMemoryStore,  # type: ignore[type-arg]
) -> None:
    user = await register(harness.bus)
    phone, laptop = await login(harness.bus), await login(harness.bus)
    await harness.bus.execute(
        ChangePassword(
            actor=principal(user), current_password=STRONG_PASSWORD, new_password=NEW_PASSWORD
        )
    )
    for session in (phone, laptop):
        with pytest.raises(InvalidToken):
            await _authenticate(harness, session)
        with pytest.raises(InvalidToken):
            await _refresh(harness, session)
    with pytest.raises(InvalidCredentials):
        await login(harness.bus, password=STRONG_PASSWORD)
    fresh = await login(harness.bus, password=NEW_PASSWORD)
    assert (await _authenticate(harness, fresh)).user_id == user.id
    assert [type(e) for e in store.outbox] == [UserCreated]


async def test_the_new_password_must_satisfy_the_policy(harness: AuthHarness) -> None:
    user = await register(harness.bus)
    pair = await login(harness.bus)
    for weak in ("short", "password1234", "ann owner ann@example.com x"):
        with pytest.raises(WeakPassword):
            await harness.bus.execute(
                ChangePassword(
                    actor=principal(user), current_password=STRONG_PASSWORD, new_password=weak
                )
            )
    assert await _authenticate(harness, pair)  # nothing was revoked
    assert (await login(harness.bus)).access_token


async def test_wrong_current_passwords_count_towards_the_account_throttle(
    harness: AuthHarness,
) -> None:
    user = await register(harness.bus)
    change = ChangePassword(
        actor=principal(user), current_password=WRONG, new_password=NEW_PASSWORD
    )
    for _ in range(10):
        with pytest.raises(InvalidCredentials):
            await harness.bus.execute(change)
    with pytest.raises(TooManyAttempts):
        await harness.bus.execute(
            ChangePassword(
                actor=principal(user), current_password=STRONG_PASSWORD, new_password=NEW_PASSWORD
            )
        )
    with pytest.raises(TooManyAttempts):
        await login(harness.bus)


async def test_a_profile_edit_that_read_the_old_row_cannot_undo_a_password_change(
    harness: AuthHarness,
) -> None:
    user = await register(harness.bus)
    async with harness.uow() as uow:
        stale = await uow.users.get(user.id)
    assert stale is not None
    await harness.bus.execute(
        ChangePassword(
            actor=principal(user),
            current_password=STRONG_PASSWORD,
            new_password="violet kettle drums at dawn",
        )
    )
    renamed, _ = stale.with_profile(display_name="Ann B.", language=None, now=harness.clock.now())
    async with harness.uow() as uow:
        with pytest.raises(ConcurrentUpdate):
            await uow.users.update(renamed, expected_version=stale.version)
    assert (await login(harness.bus, password="violet kettle drums at dawn")).access_token


class PasswordChangedWhileVerifying(CountingHasher):
    """Verifies, then lets the owner's password change land before the login continues."""

    def __init__(self, inner: Argon2PasswordHasher, change: Any) -> None:
        super().__init__(inner)
        self._change = change

    async def verify(self, password_hash: str, password: str) -> bool:
        verified = await super().verify(password_hash, password)
        if self._change is not None:
            change, self._change = self._change, None
            await change()
        return verified


async def test_a_login_racing_a_password_change_gets_no_session() -> None:
    harness, store = memory_harness()
    user = await register(harness.bus)

    async def change_password() -> None:
        await harness.bus.execute(
            ChangePassword(
                actor=principal(user),
                current_password=STRONG_PASSWORD,
                new_password="violet kettle drums at dawn",
            )
        )

    racer = auth_harness(
        lambda: InMemoryAuthUnitOfWork(store),
        clock=harness.clock,
        hasher=PasswordChangedWhileVerifying(Argon2PasswordHasher(FAST_ARGON2), change_password),
    )
    with pytest.raises(InvalidCredentials):
        await login(racer.bus)  # the old password, verified just before it stopped being valid
    assert not any(t.revoked_at is None for t in store.state.refresh_tokens.values())
    assert (await login(racer.bus, password="violet kettle drums at dawn")).access_token


async def test_failed_logins_prune_failures_that_no_window_counts_any_more(
    harness: AuthHarness,
    store: InMemoryStore,  # type: ignore[type-arg]
) -> None:
    await register(harness.bus)
    for email in ("ghost1@example.com", "ghost2@example.com"):
        with pytest.raises(InvalidCredentials):
            await login(harness.bus, email, address="198.51.100.1")
    harness.clock.advance(timedelta(minutes=15))
    with pytest.raises(InvalidCredentials):
        await login(harness.bus, "ann@example.com", "not the passphrase at all")
    remaining = store.state.login_failures
    assert set(remaining) == {account_key("ann@example.com"), address_key(ADDRESS)}
