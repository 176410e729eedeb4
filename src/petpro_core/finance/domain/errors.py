"""Errors of the finance context, each a branch of the shared PetProError tree."""

from __future__ import annotations

from petpro_core.shared.errors import Conflict, NotFound, PermissionDenied


class TransactionNotFound(NotFound):
    code = "transaction-not-found"
    title = "Ledger transaction not found"


class AlreadyReversed(Conflict):
    """Each transaction is reversed at most once."""

    code = "already-reversed"
    title = "The transaction was reversed already"


class NotReversible(Conflict):
    """A reversal is itself final: correct it with a new posting, not a reversal."""

    code = "not-reversible"
    title = "A reversal cannot be reversed"


class FinanceAdminOnly(PermissionDenied):
    code = "admin-only"
    title = "Only an administrator may do this"
