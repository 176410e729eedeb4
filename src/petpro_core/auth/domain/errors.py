"""Errors of the auth context, each a branch of the shared PetProError tree."""

from __future__ import annotations

from petpro_core.shared.errors import Conflict, InvalidInput, NotFound, Unauthenticated


class EmailAlreadyRegistered(Conflict):
    code = "email-taken"
    title = "E-mail already registered"


class MicrochipAlreadyRegistered(Conflict):
    code = "microchip-taken"
    title = "Microchip already registered"


class WeakPassword(InvalidInput):
    code = "weak-password"
    title = "Password rejected by the password policy"


class InvalidCredentials(Unauthenticated):
    code = "invalid-credentials"
    title = "Invalid credentials"


class InvalidToken(Unauthenticated):
    code = "invalid-token"
    title = "Invalid or expired token"


class UserNotFound(NotFound):
    code = "user-not-found"
    title = "User not found"


class PetNotFound(NotFound):
    code = "pet-not-found"
    title = "Pet not found"


class ConcurrentUpdate(Conflict):
    code = "concurrent-update"
    title = "The record was changed by someone else; retry"
