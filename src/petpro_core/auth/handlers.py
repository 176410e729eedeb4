"""Application services of the auth context: one handler per command.

Permission checks live here, not only at the HTTP edge, so every runtime (HTTP, CLI,
workers) enforces the same rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import UUID

from petpro_core.auth.commands import (
    Authenticate,
    ChangePassword,
    ChangeRoles,
    CreatePet,
    CreateUser,
    DeletePet,
    FindUserByEmail,
    GetPet,
    GetUser,
    ListBookingHistory,
    ListPets,
    ListUsers,
    Login,
    Logout,
    RefreshSession,
    RegisterUser,
    UpdatePet,
    UpdateProfile,
)
from petpro_core.auth.domain.booking_history import BookingHistoryEntry
from petpro_core.auth.domain.errors import (
    ConcurrentUpdate,
    InvalidCredentials,
    InvalidToken,
    PetNotFound,
    UserNotFound,
)
from petpro_core.auth.domain.passwords import PasswordPolicy, normalise_password
from petpro_core.auth.domain.pets import Pet
from petpro_core.auth.domain.roles import Permission, Principal, Role
from petpro_core.auth.domain.sessions import RefreshToken, hash_refresh_token, new_refresh_token
from petpro_core.auth.domain.throttling import ThrottleRule, account_key, address_key, enforce
from petpro_core.auth.domain.users import (
    User,
    normalise_email,
    parse_display_name,
    parse_email,
    parse_language,
)
from petpro_core.auth.ports import (
    AccessClaims,
    AuthUnitOfWork,
    AuthUnitOfWorkFactory,
    PasswordHasher,
    PasswordStrengthEstimator,
    TokenIssuer,
)
from petpro_core.shared.clock import Clock
from petpro_core.shared.errors import PermissionDenied, RuleViolated
from petpro_core.shared.ids import new_id
from petpro_core.shared.messagebus import MessageBus
from petpro_core.shared.pagination import Page

_DUMMY_PASSWORD = "petpro-timing-equaliser-not-a-real-password"  # noqa: S105


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str = field(repr=False)
    expires_in: int
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret


@dataclass(frozen=True, kw_only=True)
class AuthRules:
    """Tunable rules of the context; the runtime fills them from settings."""

    refresh_token_ttl: timedelta = timedelta(days=14)
    account_throttle: ThrottleRule = field(
        default_factory=lambda: ThrottleRule(max_failures=10, window=timedelta(minutes=15))
    )
    address_throttle: ThrottleRule = field(
        default_factory=lambda: ThrottleRule(max_failures=100, window=timedelta(minutes=15))
    )


@dataclass(frozen=True, kw_only=True)
class AuthDependencies:
    uow: AuthUnitOfWorkFactory
    hasher: PasswordHasher
    strength: PasswordStrengthEstimator
    tokens: TokenIssuer
    clock: Clock
    rules: AuthRules = AuthRules()


class AuthHandlers:
    def __init__(self, deps: AuthDependencies) -> None:
        self._deps = deps
        self._policy = PasswordPolicy(deps.strength)
        self._dummy: str | None = None

    def register(self, bus: MessageBus) -> None:
        handlers: dict[type[Any], Any] = {
            RegisterUser: self.register_user,
            CreateUser: self.create_user,
            Login: self.login,
            RefreshSession: self.refresh,
            Logout: self.logout,
            Authenticate: self.authenticate,
            GetUser: self.get_user,
            FindUserByEmail: self.find_user_by_email,
            UpdateProfile: self.update_profile,
            ChangePassword: self.change_password,
            ListUsers: self.list_users,
            ChangeRoles: self.change_roles,
            CreatePet: self.create_pet,
            GetPet: self.get_pet,
            ListPets: self.list_pets,
            UpdatePet: self.update_pet,
            DeletePet: self.delete_pet,
            ListBookingHistory: self.list_booking_history,
        }
        for command_type, handler in handlers.items():
            bus.register_command(command_type, handler)

    async def _dummy_hash(self) -> str:
        """A real hash to verify against when the e-mail is unknown, so timing matches."""
        if self._dummy is None:
            self._dummy = await self._deps.hasher.hash(_DUMMY_PASSWORD)
        return self._dummy

    # -- users and credentials -------------------------------------------------

    async def register_user(self, cmd: RegisterUser) -> User:
        return await self._add_user(
            cmd.email, cmd.display_name, cmd.password, cmd.language, frozenset({Role.PET_OWNER})
        )

    async def create_user(self, cmd: CreateUser) -> User:
        _require(cmd.actor, Permission.MANAGE_ROLES)
        if not cmd.roles:
            raise RuleViolated("a user needs at least one role")
        return await self._add_user(
            cmd.email, cmd.display_name, cmd.password, cmd.language, cmd.roles
        )

    async def _add_user(
        self,
        raw_email: str,
        raw_name: str,
        raw_password: str,
        raw_language: str,
        roles: frozenset[Role],
    ) -> User:
        email = parse_email(raw_email)
        display_name = parse_display_name(raw_name)
        language = parse_language(raw_language)
        password = self._policy.check(raw_password, email=email, display_name=display_name)
        # Hash before the transaction opens: argon2 is slow on purpose, locks must not wait on it.
        password_hash = await self._deps.hasher.hash(password)
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            user, created = User.register(
                user_id=new_id(),
                email=email,
                display_name=display_name,
                password_hash=password_hash,
                roles=roles,
                language=language,
                now=now,
            )
            await uow.users.add(user)  # the store enforces e-mail uniqueness
            uow.record(created)
            await uow.commit()
        return user

    async def login(self, cmd: Login) -> TokenPair:
        deps, now = self._deps, self._deps.clock.now()
        email = normalise_email(cmd.email)
        keys = (account_key(email), address_key(cmd.client_address))
        rules = (deps.rules.account_throttle, deps.rules.address_throttle)
        async with deps.uow() as uow:
            for key, rule in zip(keys, rules, strict=True):
                enforce(rule, await uow.login_failures.window(key, now - rule.window), now)
            user = await uow.users.get_by_email(email)
        # Verify (and re-hash) outside any transaction; unknown e-mails cost the same.
        password = normalise_password(cmd.password)
        stored_hash = user.password_hash if user is not None else await self._dummy_hash()
        verified = await deps.hasher.verify(stored_hash, password) and user is not None
        new_hash = (
            await deps.hasher.hash(password)
            if verified and deps.hasher.needs_rehash(stored_hash)
            else None
        )
        async with deps.uow() as uow:
            current = await uow.users.get(user.id) if verified and user is not None else None
            # Only the password that is current now counts: it may have changed while hashing.
            if current is None or current.password_hash != stored_hash:
                for key in keys:
                    await uow.login_failures.record(key, now)
                # Failures for made-up e-mails would otherwise pile up forever.
                await uow.login_failures.prune(now - max(rule.window for rule in rules))
                await uow.commit()
                raise InvalidCredentials("invalid e-mail or password")
            await uow.login_failures.clear(keys[0])
            if new_hash is not None:
                await self._try_rehash(uow, current, new_hash)
            pair = await self._issue(uow, current, family_id=new_id())
            await uow.commit()
        return pair

    async def _try_rehash(self, uow: AuthUnitOfWork, user: User, new_hash: str) -> None:
        """Upgrade the stored hash; if the user changed meanwhile, the next login will."""
        with suppress(ConcurrentUpdate):
            await uow.users.update(
                user.with_password_hash(new_hash, self._deps.clock.now()),
                expected_version=user.version,
            )

    async def refresh(self, cmd: RefreshSession) -> TokenPair:
        now = self._deps.clock.now()
        token_hash = hash_refresh_token(cmd.refresh_token)
        async with self._deps.uow() as uow:
            stored = await uow.refresh_tokens.get(token_hash)
            if stored is None:
                raise InvalidToken("invalid refresh token")
            if stored.is_spent() or not await uow.refresh_tokens.mark_used(token_hash, now):
                await uow.refresh_tokens.revoke_family(stored.family_id, now)
                await uow.commit()
                raise InvalidToken("refresh token was already used; the session has been revoked")
            if stored.is_expired(now):
                raise InvalidToken("refresh token has expired")
            user = await uow.users.get(stored.user_id)
            if user is None:
                raise InvalidToken("invalid refresh token")
            pair = await self._issue(uow, user, family_id=stored.family_id)
            await uow.commit()
        return pair

    async def logout(self, cmd: Logout) -> None:
        """Revoke the session the refresh token belongs to. Unknown tokens are ignored."""
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            stored = await uow.refresh_tokens.get(hash_refresh_token(cmd.refresh_token))
            if stored is not None:
                await uow.refresh_tokens.revoke_family(stored.family_id, now)
                await uow.commit()

    async def authenticate(self, cmd: Authenticate) -> Principal:
        """Valid signature and claims, a live session, and the user's current roles."""
        claims: AccessClaims = self._deps.tokens.verify_access_token(
            cmd.access_token, now=self._deps.clock.now()
        )
        async with self._deps.uow() as uow:
            user = await uow.users.get_in_active_session(claims.user_id, claims.session_id)
        if user is None:
            raise InvalidToken("the session of this token has ended")
        return Principal(user_id=user.id, roles=user.roles)

    async def get_user(self, cmd: GetUser) -> User:
        if cmd.user_id != cmd.actor.user_id and not cmd.actor.can(Permission.LIST_USERS):
            raise UserNotFound("no such user")
        async with self._deps.uow() as uow:
            user = await uow.users.get(cmd.user_id)
        if user is None:
            raise UserNotFound("no such user")
        return user

    async def find_user_by_email(self, cmd: FindUserByEmail) -> User:
        _require(cmd.actor, Permission.LIST_USERS)
        async with self._deps.uow() as uow:
            user = await uow.users.get_by_email(normalise_email(cmd.email))
        if user is None:
            raise UserNotFound(f"no user with e-mail {normalise_email(cmd.email)}")
        return user

    async def update_profile(self, cmd: UpdateProfile) -> User:
        display_name = None if cmd.display_name is None else parse_display_name(cmd.display_name)
        language = None if cmd.language is None else parse_language(cmd.language)
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            user = await self._load_user(uow, cmd.actor.user_id)
            changed, event = user.with_profile(
                display_name=display_name, language=language, now=now
            )
            if event is not None:
                await uow.users.update(changed, expected_version=user.version)
                uow.record(event)
                await uow.commit()
        return changed

    async def change_password(self, cmd: ChangePassword) -> None:
        """Verify the current password, apply the policy, and end every session of the user."""
        deps, now = self._deps, self._deps.clock.now()
        rule = deps.rules.account_throttle
        async with deps.uow() as uow:
            user = await self._load_user(uow, cmd.actor.user_id)
            key = account_key(user.email)
            enforce(rule, await uow.login_failures.window(key, now - rule.window), now)
        current = normalise_password(cmd.current_password)
        if not await deps.hasher.verify(user.password_hash, current):
            async with deps.uow() as uow:
                await uow.login_failures.record(key, now)
                await uow.commit()
            raise InvalidCredentials("current password is wrong")
        password = self._policy.check(
            cmd.new_password, email=user.email, display_name=user.display_name
        )
        new_hash = await deps.hasher.hash(password)
        async with deps.uow() as uow:
            # Optimistic: a concurrent change to the user makes this a ConcurrentUpdate (409).
            await uow.users.update(
                user.with_password_hash(new_hash, now), expected_version=user.version
            )
            await uow.refresh_tokens.revoke_all_of_user(user.id, now)
            await uow.commit()

    async def list_users(self, cmd: ListUsers) -> Page[User]:
        _require(cmd.actor, Permission.LIST_USERS)
        async with self._deps.uow() as uow:
            items, total = await uow.users.list(cmd.page)
        return Page(items=items, total=total, limit=cmd.page.limit, offset=cmd.page.offset)

    async def change_roles(self, cmd: ChangeRoles) -> User:
        _require(cmd.actor, Permission.MANAGE_ROLES)
        if cmd.grant & cmd.revoke:
            raise RuleViolated("a role cannot be granted and revoked at once")
        if not cmd.grant and not cmd.revoke:
            raise RuleViolated("name at least one role to grant or revoke")
        if cmd.user_id == cmd.actor.user_id and Role.ADMIN in cmd.revoke:
            raise RuleViolated("admins cannot revoke their own admin role")
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            user = await self._load_user(uow, cmd.user_id)
            roles = (user.roles | cmd.grant) - cmd.revoke
            if not roles:
                raise RuleViolated("a user keeps at least one role")
            if (
                Role.ADMIN in user.roles - roles
                and await uow.users.count_with_role(Role.ADMIN) <= 1
            ):
                raise RuleViolated("cannot revoke the admin role of the last admin")
            changed, event = user.with_roles(roles, now)
            if event is not None:
                await uow.users.update(changed, expected_version=user.version)
                uow.record(event)
                await uow.commit()
        return changed

    # -- pets ------------------------------------------------------------------

    async def create_pet(self, cmd: CreatePet) -> Pet:
        _require(cmd.actor, Permission.MANAGE_OWN_PETS)
        now = self._deps.clock.now()
        pet, created = Pet.register(
            pet_id=new_id(),
            owner_id=cmd.actor.user_id,
            now=now,
            name=cmd.name,
            species=cmd.species,
            sex=cmd.sex,
            breed=cmd.breed,
            date_of_birth=cmd.date_of_birth,
            weight_kg=cmd.weight_kg,
            microchip=cmd.microchip,
            notes=cmd.notes,
        )
        async with self._deps.uow() as uow:
            await uow.pets.add(pet)  # the store enforces microchip uniqueness
            uow.record(created)
            await uow.commit()
        return pet

    async def get_pet(self, cmd: GetPet) -> Pet:
        async with self._deps.uow() as uow:
            return await self._visible_pet(uow, cmd.actor, cmd.pet_id, for_change=False)

    async def list_pets(self, cmd: ListPets) -> Page[Pet]:
        owner_id: UUID | None = cmd.actor.user_id
        if cmd.all_owners or (cmd.owner_id is not None and cmd.owner_id != cmd.actor.user_id):
            _require(cmd.actor, Permission.READ_ALL_PETS)
            owner_id = None if cmd.all_owners else cmd.owner_id
        async with self._deps.uow() as uow:
            items, total = await uow.pets.list(cmd.page, owner_id=owner_id)
        return Page(items=items, total=total, limit=cmd.page.limit, offset=cmd.page.offset)

    async def update_pet(self, cmd: UpdatePet) -> Pet:
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            pet = await self._visible_pet(uow, cmd.actor, cmd.pet_id, for_change=True)
            changed, event = pet.with_changes(now, **cmd.changes())
            if event is not None:
                await uow.pets.update(changed, expected_version=pet.version)
                uow.record(event)
                await uow.commit()
        return changed

    async def delete_pet(self, cmd: DeletePet) -> None:
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            pet = await self._visible_pet(uow, cmd.actor, cmd.pet_id, for_change=True)
            await uow.pets.delete(pet.id)
            uow.record(pet.deleted(now))
            await uow.commit()

    # -- booking history (a projection of booking's events) ---------------------

    async def list_booking_history(self, cmd: ListBookingHistory) -> Page[BookingHistoryEntry]:
        if cmd.user_id != cmd.actor.user_id:
            _require(cmd.actor, Permission.LIST_USERS)
        async with self._deps.uow() as uow:
            await self._load_user(uow, cmd.user_id)
            return await uow.booking_history.list_for_owner(cmd.user_id, cmd.page)

    # -- helpers ---------------------------------------------------------------

    async def _issue(self, uow: AuthUnitOfWork, user: User, *, family_id: UUID) -> TokenPair:
        now = self._deps.clock.now()
        refresh_token = new_refresh_token()
        await uow.refresh_tokens.add(
            RefreshToken(
                token_hash=hash_refresh_token(refresh_token),
                family_id=family_id,
                user_id=user.id,
                issued_at=now,
                expires_at=now + self._deps.rules.refresh_token_ttl,
            )
        )
        access = self._deps.tokens.issue_access_token(
            user_id=user.id, session_id=family_id, roles=user.roles, now=now
        )
        return TokenPair(
            access_token=access.token, refresh_token=refresh_token, expires_in=access.expires_in
        )

    @staticmethod
    async def _load_user(uow: AuthUnitOfWork, user_id: UUID) -> User:
        user = await uow.users.get(user_id)
        if user is None:
            raise UserNotFound("no such user")
        return user

    @staticmethod
    async def _visible_pet(
        uow: AuthUnitOfWork, actor: Principal, pet_id: UUID, *, for_change: bool
    ) -> Pet:
        """The pet if the actor may see it (or change it); otherwise 'not found', never
        'forbidden', so nobody learns that another owner's pet exists."""
        pet = await uow.pets.get(pet_id)
        if pet is None:
            raise PetNotFound("no such pet")
        if pet.owner_id == actor.user_id:
            return pet
        if not for_change and actor.can(Permission.READ_ALL_PETS):
            return pet
        raise PetNotFound("no such pet")


def _require(actor: Principal, permission: Permission) -> None:
    if not actor.can(permission):
        raise PermissionDenied(f"this requires the {permission.value} permission")


def build_auth_bus(deps: AuthDependencies) -> MessageBus:
    bus = MessageBus()
    AuthHandlers(deps).register(bus)
    return bus


__all__: Sequence[str] = [
    "AuthDependencies",
    "AuthHandlers",
    "AuthRules",
    "TokenPair",
    "build_auth_bus",
]
