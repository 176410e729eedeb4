"""Building an auth message bus for tests, on any unit-of-work factory."""

from __future__ import annotations

from dataclasses import dataclass

from adapters.memory.auth import InMemoryAuthUnitOfWork, in_memory_auth_store
from adapters.memory.unit_of_work import InMemoryStore
from adapters.security.passwords import (
    Argon2Parameters,
    Argon2PasswordHasher,
    ZxcvbnPasswordStrength,
)
from adapters.security.tokens import (
    JwtTokenIssuer,
    TokenSettings,
    generate_private_key_pem,
    load_private_key,
)
from petpro_core.auth.handlers import AuthDependencies, AuthRules, build_auth_bus
from petpro_core.auth.ports import AuthUnitOfWorkFactory
from petpro_core.shared.clock import FixedClock
from petpro_core.shared.messagebus import MessageBus

# Cheap argon2id parameters: the suite hashes hundreds of passwords.
FAST_ARGON2 = Argon2Parameters(memory_cost_kib=1024, time_cost=1, parallelism=1)
STRONG_PASSWORD = "correct horse battery staple"
ISSUER = "petpro-test"
AUDIENCE = "petpro-api-test"

_KEY = load_private_key(generate_private_key_pem())


def token_issuer(clock_settings: TokenSettings | None = None) -> JwtTokenIssuer:
    return JwtTokenIssuer(_KEY, clock_settings or TokenSettings(issuer=ISSUER, audience=AUDIENCE))


@dataclass
class AuthHarness:
    bus: MessageBus
    clock: FixedClock
    uow: AuthUnitOfWorkFactory
    hasher: Argon2PasswordHasher
    tokens: JwtTokenIssuer


def auth_harness(
    uow: AuthUnitOfWorkFactory,
    *,
    clock: FixedClock | None = None,
    hasher: Argon2PasswordHasher | None = None,
    rules: AuthRules | None = None,
) -> AuthHarness:
    clock = clock or FixedClock()
    hasher = hasher or Argon2PasswordHasher(FAST_ARGON2)
    tokens = token_issuer()
    deps = AuthDependencies(
        uow=uow,
        hasher=hasher,
        strength=ZxcvbnPasswordStrength(),
        tokens=tokens,
        clock=clock,
        rules=rules or AuthRules(),
    )
    return AuthHarness(bus=build_auth_bus(deps), clock=clock, uow=uow, hasher=hasher, tokens=tokens)


def memory_harness(**kwargs: object) -> tuple[AuthHarness, InMemoryStore]:  # type: ignore[type-arg]
    store = in_memory_auth_store()
    return auth_harness(lambda: InMemoryAuthUnitOfWork(store), **kwargs), store  # type: ignore[arg-type]
