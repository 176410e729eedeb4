"""The Ed25519 JWT access-token issuer: claims round trip and every way a token is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from adapters.security.tokens import (
    JwtTokenIssuer,
    TokenSettings,
    generate_private_key_pem,
    load_private_key,
)
from petpro_core.auth.domain.errors import InvalidToken
from petpro_core.auth.domain.roles import Role
from petpro_core.shared.ids import new_id

ISSUER = "https://auth.petpro.test"
AUDIENCE = "petpro-api"
NOW = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
USER_ID = new_id()
SESSION_ID = new_id()
REQUIRED = ["iss", "aud", "exp", "iat", "sub", "sid", "jti", "token_type", "roles"]

KEY = load_private_key(generate_private_key_pem())
OTHER_KEY = load_private_key(generate_private_key_pem())
SETTINGS = TokenSettings(issuer=ISSUER, audience=AUDIENCE)


@pytest.fixture
def issuer() -> JwtTokenIssuer:
    return JwtTokenIssuer(KEY, SETTINGS)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _json_b64(value: dict[str, Any]) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode())


def _claims(**overrides: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(USER_ID),
        "sid": str(SESSION_ID),
        "jti": str(new_id()),
        "iat": int(NOW.timestamp()),
        "exp": int((NOW + timedelta(minutes=15)).timestamp()),
        "token_type": "access",
        "roles": ["pet_owner"],
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(claims: dict[str, Any], *, key: Any = KEY, headers: dict[str, Any] | None = None) -> str:
    return jwt.encode(claims, key, algorithm="EdDSA", headers=headers or {"typ": "at+jwt"})


def _refused(issuer: JwtTokenIssuer, token: str, *, now: datetime = NOW) -> InvalidToken:
    with pytest.raises(InvalidToken) as caught:
        issuer.verify_access_token(token, now=now)
    assert caught.value.code == "invalid-token"
    return caught.value


# -- round trip ----------------------------------------------------------------


def test_issued_tokens_round_trip_their_claims(issuer: JwtTokenIssuer) -> None:
    roles = frozenset({Role.PET_OWNER, Role.ADMIN})
    issued = issuer.issue_access_token(user_id=USER_ID, session_id=SESSION_ID, roles=roles, now=NOW)
    assert issued.expires_in == 900

    claims = issuer.verify_access_token(issued.token, now=NOW)
    assert claims.user_id == USER_ID
    assert claims.session_id == SESSION_ID
    assert claims.roles == roles
    assert claims.issued_at == NOW
    assert claims.expires_at == NOW + timedelta(seconds=900)

    header = jwt.get_unverified_header(issued.token)
    assert header["alg"] == "EdDSA"
    assert header["typ"] == "at+jwt"
    raw = jwt.decode(issued.token, options={"verify_signature": False})
    assert raw["iss"] == ISSUER
    assert raw["aud"] == AUDIENCE
    assert raw["sub"] == str(USER_ID)
    assert raw["sid"] == str(SESSION_ID)
    assert raw["roles"] == ["admin", "pet_owner"]
    assert raw["token_type"] == "access"
    assert raw["exp"] - raw["iat"] == 900
    assert UUID(raw["jti"]).version == 7


def test_every_token_gets_its_own_jti(issuer: JwtTokenIssuer) -> None:
    def jti() -> str:
        token = issuer.issue_access_token(
            user_id=USER_ID, session_id=SESSION_ID, roles=frozenset(), now=NOW
        ).token
        return str(jwt.decode(token, options={"verify_signature": False})["jti"])

    assert jti() != jti()


def test_the_ttl_comes_from_the_settings() -> None:
    short = JwtTokenIssuer(KEY, TokenSettings(ISSUER, AUDIENCE, timedelta(minutes=5)))
    issued = short.issue_access_token(
        user_id=USER_ID, session_id=SESSION_ID, roles=frozenset(), now=NOW
    )
    assert issued.expires_in == 300
    assert short.verify_access_token(issued.token, now=NOW).expires_at == NOW + timedelta(minutes=5)


def test_a_hand_signed_token_with_the_right_shape_is_accepted(issuer: JwtTokenIssuer) -> None:
    # the control for the refusals below: only the one thing each of them changes matters
    assert issuer.verify_access_token(_sign(_claims()), now=NOW).user_id == USER_ID


# -- refusals ------------------------------------------------------------------


def test_alg_none_is_refused(issuer: JwtTokenIssuer) -> None:
    header = _json_b64({"alg": "none", "typ": "at+jwt"})
    for token in (f"{header}.{_json_b64(_claims())}.", f"{header}.{_json_b64(_claims())}"):
        _refused(issuer, token)
    none_alg = jwt.encode(_claims(), None, algorithm="none", headers={"typ": "at+jwt"})
    _refused(issuer, none_alg)


@pytest.mark.parametrize("encoding", ["pem", "raw"])
def test_hs256_signed_with_the_public_key_is_refused(issuer: JwtTokenIssuer, encoding: str) -> None:
    public = KEY.public_key()
    secret = (
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        if encoding == "pem"
        else public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    signing_input = f"{_json_b64({'alg': 'HS256', 'typ': 'at+jwt'})}.{_json_b64(_claims())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    _refused(issuer, f"{signing_input}.{_b64(signature)}")
    # and claiming EdDSA in the header over an HMAC signature does not help either
    eddsa_input = f"{_json_b64({'alg': 'EdDSA', 'typ': 'at+jwt'})}.{_json_b64(_claims())}"
    forged = hmac.new(secret, eddsa_input.encode(), hashlib.sha256).digest()
    _refused(issuer, f"{eddsa_input}.{_b64(forged)}")


def test_wrong_audience_is_refused(issuer: JwtTokenIssuer) -> None:
    other = JwtTokenIssuer(KEY, TokenSettings(issuer=ISSUER, audience="billing-api"))
    token = other.issue_access_token(
        user_id=USER_ID, session_id=SESSION_ID, roles=frozenset(), now=NOW
    ).token
    _refused(issuer, token)
    _refused(issuer, _sign(_claims(aud="billing-api")))


def test_wrong_issuer_is_refused(issuer: JwtTokenIssuer) -> None:
    other = JwtTokenIssuer(KEY, TokenSettings(issuer="https://evil.test", audience=AUDIENCE))
    token = other.issue_access_token(
        user_id=USER_ID, session_id=SESSION_ID, roles=frozenset(), now=NOW
    ).token
    _refused(issuer, token)


def test_expiry_is_judged_by_the_given_clock_with_leeway(issuer: JwtTokenIssuer) -> None:
    token = issuer.issue_access_token(
        user_id=USER_ID, session_id=SESSION_ID, roles=frozenset(), now=NOW
    ).token
    expires = NOW + timedelta(minutes=15)
    assert issuer.verify_access_token(token, now=expires + timedelta(seconds=29))
    error = _refused(issuer, token, now=expires + timedelta(seconds=30))
    assert "expired" in str(error)
    _refused(issuer, token, now=NOW + timedelta(days=1))


def test_a_token_issued_in_the_future_is_refused(issuer: JwtTokenIssuer) -> None:
    token = issuer.issue_access_token(
        user_id=USER_ID, session_id=SESSION_ID, roles=frozenset(), now=NOW + timedelta(hours=1)
    ).token
    error = _refused(issuer, token, now=NOW)
    assert "not valid yet" in str(error)
    # within the leeway, a little clock skew is tolerated
    skewed = issuer.issue_access_token(
        user_id=USER_ID, session_id=SESSION_ID, roles=frozenset(), now=NOW + timedelta(seconds=20)
    ).token
    assert issuer.verify_access_token(skewed, now=NOW)


def test_a_tampered_payload_is_refused(issuer: JwtTokenIssuer) -> None:
    token = issuer.issue_access_token(
        user_id=USER_ID, session_id=SESSION_ID, roles=frozenset({Role.PET_OWNER}), now=NOW
    ).token
    header, _, signature = token.split(".")
    escalated = _json_b64(_claims(roles=["admin"]))
    _refused(issuer, f"{header}.{escalated}.{signature}")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    _refused(issuer, f"{header}.{token.split('.')[1]}.{flipped}")


def test_a_remembered_token_is_still_judged_on_every_use(issuer: JwtTokenIssuer) -> None:
    token = issuer.issue_access_token(
        user_id=USER_ID, session_id=SESSION_ID, roles=frozenset({Role.PET_OWNER}), now=NOW
    ).token
    first = issuer.verify_access_token(token, now=NOW)
    assert issuer.verify_access_token(token, now=NOW + timedelta(minutes=5)) == first
    header, payload, signature = token.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    _refused(issuer, f"{header}.{payload}.{flipped}")  # another text: checked afresh
    assert "expired" in str(_refused(issuer, token, now=NOW + timedelta(hours=1)))
    assert "not valid yet" in str(_refused(issuer, token, now=NOW - timedelta(hours=1)))


def test_a_token_signed_by_another_key_is_refused(issuer: JwtTokenIssuer) -> None:
    impostor = JwtTokenIssuer(OTHER_KEY, SETTINGS)
    token = impostor.issue_access_token(
        user_id=USER_ID, session_id=SESSION_ID, roles=frozenset(), now=NOW
    ).token
    _refused(issuer, token)


@pytest.mark.parametrize("missing", REQUIRED)
def test_a_token_missing_a_required_claim_is_refused(issuer: JwtTokenIssuer, missing: str) -> None:
    _refused(issuer, _sign(_claims(**{missing: None})))


@pytest.mark.parametrize("token_type", ["refresh", "id", "ACCESS", ""])
def test_a_token_that_is_not_an_access_token_is_refused(
    issuer: JwtTokenIssuer, token_type: str
) -> None:
    _refused(issuer, _sign(_claims(token_type=token_type)))


@pytest.mark.parametrize("headers", [{"typ": "JWT"}, {"typ": "at+jwt+x"}, {}])
def test_a_token_without_the_access_token_type_header_is_refused(
    issuer: JwtTokenIssuer, headers: dict[str, str]
) -> None:
    token = jwt.encode(_claims(), KEY, algorithm="EdDSA", headers=headers)
    _refused(issuer, token)


@pytest.mark.parametrize(
    "overrides",
    [{"sub": "not-a-uuid"}, {"sid": "42"}, {"roles": ["root"]}, {"roles": 7}, {"iat": "soon"}],
)
def test_malformed_claims_are_refused(issuer: JwtTokenIssuer, overrides: dict[str, Any]) -> None:
    _refused(issuer, _sign(_claims(**overrides)))


@pytest.mark.parametrize(
    "garbage",
    ["", "garbage", "a.b.c", "...", "eyJhbGciOiJFZERTQSJ9", "Bearer x.y.z", "\u00ff.\u00ff.\u00ff"],
)
def test_garbage_is_refused(issuer: JwtTokenIssuer, garbage: str) -> None:
    _refused(issuer, garbage)


def test_load_private_key_insists_on_ed25519() -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(ValueError, match="Ed25519"):
        load_private_key(pem)
