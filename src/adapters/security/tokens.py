"""JWT access tokens signed with Ed25519 (EdDSA), verified with the algorithm pinned.

Pinning one asymmetric algorithm rules out `alg: none` and key confusion (an HMAC token
"signed" with the public key): PyJWT refuses any other `alg` and any key of another type.
The token header carries `typ: at+jwt` (RFC 9068) and the claims a `token_type` of
"access", so no other JWT we might issue later can be replayed as an access token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from petpro_core.auth.domain.errors import InvalidToken
from petpro_core.auth.domain.roles import Role, parse_roles
from petpro_core.auth.ports import AccessClaims, IssuedAccessToken
from petpro_core.shared.ids import new_id

ALGORITHM = "EdDSA"
HEADER_TYPE = "at+jwt"
TOKEN_TYPE = "access"  # noqa: S105 - a claim value, not a secret
_REQUIRED = ["iss", "aud", "exp", "iat", "sub", "sid", "jti", "token_type", "roles"]


def generate_private_key_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def load_private_key(pem: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the JWT signing key must be an Ed25519 private key (PEM, PKCS#8)")
    return key


@dataclass(frozen=True, slots=True)
class TokenSettings:
    issuer: str
    audience: str
    access_token_ttl: timedelta = timedelta(minutes=15)
    leeway: timedelta = timedelta(seconds=30)


# Verified tokens remembered by their exact text (a client sends the same token with every
# request until it expires): the signature check and claim parsing are a pure function of
# the text and the key, so only the times are checked again on each use.
VERIFIED_TOKENS_KEPT = 4096


class JwtTokenIssuer:
    def __init__(self, private_key: Ed25519PrivateKey, settings: TokenSettings) -> None:
        self._private_key = private_key
        self._public_key: Ed25519PublicKey = private_key.public_key()
        self._settings = settings
        self._verified: dict[str, AccessClaims] = {}

    def issue_access_token(
        self, *, user_id: UUID, session_id: UUID, roles: frozenset[Role], now: datetime
    ) -> IssuedAccessToken:
        ttl = self._settings.access_token_ttl
        claims = {
            "iss": self._settings.issuer,
            "aud": self._settings.audience,
            "sub": str(user_id),
            "sid": str(session_id),
            "jti": str(new_id()),
            "iat": int(now.timestamp()),
            "exp": int((now + ttl).timestamp()),
            "token_type": TOKEN_TYPE,
            "roles": sorted(role.value for role in roles),
        }
        token = jwt.encode(
            claims, self._private_key, algorithm=ALGORITHM, headers={"typ": HEADER_TYPE}
        )
        return IssuedAccessToken(token=token, expires_in=int(ttl.total_seconds()))

    def verify_access_token(self, token: str, *, now: datetime) -> AccessClaims:
        claims = self._verified.get(token)
        if claims is None:
            claims = self._verify_signed(token)
            if len(self._verified) >= VERIFIED_TOKENS_KEPT:
                del self._verified[next(iter(self._verified))]  # the oldest
            self._verified[token] = claims
        # Expiry is checked against the injected clock, not the machine's, so tests and
        # every runtime agree on "now".
        if now >= claims.expires_at + self._settings.leeway:
            raise InvalidToken("access token has expired")
        if claims.issued_at > now + self._settings.leeway:
            raise InvalidToken("access token is not valid yet")
        return claims

    def _verify_signed(self, token: str) -> AccessClaims:
        """Signature, header, issuer, audience and claims; not the times."""
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != ALGORITHM or header.get("typ") != HEADER_TYPE:
                raise InvalidToken("invalid access token")
            claims = jwt.decode(
                token,
                self._public_key,
                algorithms=[ALGORITHM],
                audience=self._settings.audience,
                issuer=self._settings.issuer,
                leeway=self._settings.leeway,
                options={"require": _REQUIRED, "verify_exp": False, "verify_iat": False},
            )
            if claims["token_type"] != TOKEN_TYPE:
                raise InvalidToken("not an access token")
            return AccessClaims(
                user_id=UUID(claims["sub"]),
                session_id=UUID(claims["sid"]),
                roles=parse_roles(claims["roles"]),
                issued_at=datetime.fromtimestamp(int(claims["iat"]), tz=UTC),
                expires_at=datetime.fromtimestamp(int(claims["exp"]), tz=UTC),
            )
        except InvalidToken:
            raise
        except (jwt.PyJWTError, ValueError, TypeError, KeyError, OverflowError, OSError) as exc:
            raise InvalidToken("invalid access token") from exc
