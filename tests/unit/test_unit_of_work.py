"""The in-memory unit of work: state and outbox commit together or not at all."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

import pytest

from adapters.memory.auth import (
    AuthState,
    InMemoryAuthUnitOfWork,
    InMemoryRefreshTokenRepository,
    in_memory_auth_store,
)
from adapters.memory.unit_of_work import InMemoryStore
from petpro_core.auth.commands import Authenticate, ChangePassword, CreatePet
from petpro_core.auth.domain.roles import Role
from petpro_core.auth.domain.users import Language, User
from petpro_core.contracts.auth import UserCreated
from petpro_core.shared.ids import new_id
from petpro_core.shared.messagebus import Command, MessageBus
from tests.support.auth import STRONG_PASSWORD, auth_harness
from tests.unit.builders import login, principal, register

NOW = datetime.fromisoformat("2026-01-01T09:00:00+00:00")


class Boom(Exception):
    pass


def _user(email: str = "ann@example.com") -> User:
    user, _ = User.register(
        user_id=new_id(),
        email=email,
        display_name="Ann",
        password_hash="$argon2id$fake",
        roles=frozenset({Role.PET_OWNER}),
        language=Language.EN,
        now=NOW,
    )
    return user


def _created(user: User) -> UserCreated:
    return User.register(
        user_id=user.id,
        email=user.email,
        display_name=user.display_name,
        password_hash=user.password_hash,
        roles=user.roles,
        language=user.language,
        now=NOW,
    )[1]


@dataclass(frozen=True)
class AddUserThenFail(Command):
    fail: bool


async def test_an_exception_after_record_leaves_state_and_outbox_unchanged() -> None:
    store = in_memory_auth_store()
    user = _user()

    async def handler(cmd: AddUserThenFail) -> None:
        async with InMemoryAuthUnitOfWork(store) as uow:
            await uow.users.add(user)
            uow.record(_created(user))
            if cmd.fail:
                raise Boom("after record, before commit")
            await uow.commit()

    bus = MessageBus({AddUserThenFail: handler})
    with pytest.raises(Boom):
        await bus.execute(AddUserThenFail(fail=True))
    assert store.state.users == {}
    assert store.outbox == []

    # the lock was released and the very same work commits fine afterwards
    await asyncio.wait_for(bus.execute(AddUserThenFail(fail=False)), timeout=1)
    assert list(store.state.users) == [user.id]
    assert [e.aggregate_id for e in store.outbox] == [user.id]


async def test_events_recorded_but_not_committed_vanish() -> None:
    store = in_memory_auth_store()
    user = _user()
    async with InMemoryAuthUnitOfWork(store) as uow:
        await uow.users.add(user)
        uow.record(_created(user))
        # leaving without commit
    assert store.outbox == []
    assert store.state.users == {}

    async with InMemoryAuthUnitOfWork(store) as uow:
        await uow.commit()  # a later commit does not resurrect them
    assert store.outbox == []


async def test_rollback_drops_the_pending_change_and_events() -> None:
    store = in_memory_auth_store()
    async with InMemoryAuthUnitOfWork(store) as uow:
        first = _user("first@example.com")
        await uow.users.add(first)
        uow.record(_created(first))
        await uow.rollback()
        second = _user("second@example.com")
        await uow.users.add(second)
        uow.record(_created(second))
        await uow.commit()
    assert list(store.state.users) == [second.id]
    assert [e.aggregate_id for e in store.outbox] == [second.id]


async def test_uncommitted_changes_are_invisible_to_the_store_and_commit_is_not_repeated() -> None:
    store = in_memory_auth_store()
    user = _user()
    async with InMemoryAuthUnitOfWork(store) as uow:
        await uow.users.add(user)
        uow.record(_created(user))
        assert store.state.users == {}
        assert await uow.users.get(user.id) == user
        await uow.commit()
        assert store.state.users == {user.id: user}
        await uow.commit()  # committing again writes no event twice
    assert len(store.outbox) == 1


async def test_committed_state_is_a_copy_not_shared_with_the_working_state() -> None:
    store = in_memory_auth_store()
    user = _user()
    async with InMemoryAuthUnitOfWork(store) as uow:
        await uow.users.add(user)
        await uow.commit()
        other = _user("other@example.com")
        await uow.users.add(other)  # after commit, not committed again
    assert list(store.state.users) == [user.id]


async def test_the_working_state_exists_only_inside_the_block() -> None:
    uow = InMemoryAuthUnitOfWork(in_memory_auth_store())
    with pytest.raises(RuntimeError, match="async with"):
        _ = uow.working


async def test_units_of_work_on_one_store_run_one_at_a_time() -> None:
    store = in_memory_auth_store()
    order: list[str] = []
    a_entered = asyncio.Event()
    release_a = asyncio.Event()

    async def first() -> None:
        async with InMemoryAuthUnitOfWork(store) as uow:
            order.append("a-in")
            a_entered.set()
            await release_a.wait()
            await uow.users.add(_user("a@example.com"))
            await uow.commit()
            order.append("a-out")

    async def second() -> None:
        await a_entered.wait()
        async with InMemoryAuthUnitOfWork(store) as uow:
            order.append("b-in")
            assert await uow.users.get_by_email("a@example.com") is not None  # sees A's commit
            await uow.commit()

    task_a, task_b = asyncio.create_task(first()), asyncio.create_task(second())
    await a_entered.wait()
    await asyncio.sleep(0.01)
    assert order == ["a-in"]  # B is waiting for A
    release_a.set()
    await asyncio.wait_for(asyncio.gather(task_a, task_b), timeout=1)
    assert order == ["a-in", "a-out", "b-in"]


# -- real handlers over a repository that fails midway ---------------------------


class FailingRevocations(InMemoryRefreshTokenRepository):
    async def revoke_all_of_user(self, user_id, at) -> None:  # type: ignore[no-untyped-def]
        raise Boom("token store went away")


class FailingRevocationsUnitOfWork(InMemoryAuthUnitOfWork):
    def _bind(self, working: AuthState) -> None:
        super()._bind(working)
        self.refresh_tokens = FailingRevocations(working)


class ExplodingOutboxUnitOfWork(InMemoryAuthUnitOfWork):
    """Records the events, then fails: as if serialising them for the outbox broke."""

    def record(self, *events) -> None:  # type: ignore[no-untyped-def]
        super().record(*events)
        raise Boom("outbox serialisation failed")


async def test_a_failure_midway_through_a_password_change_changes_nothing() -> None:
    store: InMemoryStore[AuthState] = in_memory_auth_store()
    healthy = auth_harness(lambda: InMemoryAuthUnitOfWork(store))
    user = await register(healthy.bus)
    session = await login(healthy.bus)
    hash_before = store.state.users[user.id].password_hash

    broken = auth_harness(lambda: FailingRevocationsUnitOfWork(store), clock=healthy.clock)
    with pytest.raises(Boom):
        await broken.bus.execute(
            ChangePassword(
                actor=principal(user),
                current_password=STRONG_PASSWORD,
                new_password="tangerine lantern velvet orbit",
            )
        )
    # the new hash written before the failure was rolled back with everything else
    assert store.state.users[user.id].password_hash == hash_before
    assert (await login(healthy.bus)).access_token
    assert await healthy.bus.execute(Authenticate(access_token=session.access_token))


async def test_a_failure_after_record_in_a_real_handler_changes_nothing() -> None:
    store: InMemoryStore[AuthState] = in_memory_auth_store()
    healthy = auth_harness(lambda: InMemoryAuthUnitOfWork(store))
    owner = principal(await register(healthy.bus))
    outbox_before = list(store.outbox)

    broken = auth_harness(lambda: ExplodingOutboxUnitOfWork(store), clock=healthy.clock)
    with pytest.raises(Boom):
        await broken.bus.execute(CreatePet(actor=owner, name="Pochi", species="dog"))
    assert store.state.pets == {}
    assert store.outbox == outbox_before
    # and the store is still usable
    pet = await healthy.bus.execute(CreatePet(actor=owner, name="Pochi", species="dog"))
    assert list(store.state.pets) == [pet.id]
