"""The JWT signing key: from settings, from a file, or generated once in development."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from adapters.security.tokens import generate_private_key_pem, load_private_key
from runtimes.settings import Environment, Settings, StorageKind


class KeyConfigurationError(RuntimeError):
    pass


def load_signing_key(settings: Settings) -> Ed25519PrivateKey:
    if settings.jwt_private_key is not None:
        return _parse(
            settings.jwt_private_key.get_secret_value().encode(), "PETPRO_JWT_PRIVATE_KEY"
        )
    path = settings.jwt_key_path
    if path.exists():
        return _parse(path.read_bytes(), str(path))
    if settings.storage_for("auth") is StorageKind.MEMORY:
        # Throw-away storage, throw-away key: tokens could not outlive the users anyway.
        return _parse(generate_private_key_pem(), "generated key")
    if settings.env is Environment.PRODUCTION:
        raise KeyConfigurationError(
            f"no JWT signing key: set PETPRO_JWT_PRIVATE_KEY or create {path} "
            "(an Ed25519 PEM key, e.g. `openssl genpkey -algorithm ed25519`)"
        )
    return _parse(_generate(path), str(path))


def _generate(path: Path) -> bytes:
    """Create the key file atomically with owner-only permissions; keep a concurrent winner's."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = generate_private_key_pem()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return pem


def _parse(pem: bytes, origin: str) -> Ed25519PrivateKey:
    try:
        return load_private_key(pem)
    except ValueError as exc:
        raise KeyConfigurationError(f"{origin}: {exc}") from exc
