"""HS256 JWTs as the real Crust server issues and checks them (go-chi/jwtauth over dgrijalva/jwt-go v3),
with the standard library only.

The server looks for a token in the `jwt` query parameter, then `Authorization: BEARER <token>`
(any case, the first six letters), then the `jwt` cookie. What it answers (HTTP 200, error envelope):

- no token: anonymous, and every CRM route answers "Unauthorized";
- expired (even with a bad signature: the expiry is checked first): "failed to authorize request:
  jwtauth: token is expired";
- bad signature: "failed to authorize request: signature is invalid";
- not three segments: "failed to authorize request: token contains an invalid number of segments";
- another HMAC algorithm: "failed to authorize request: jwtauth: algorithm mismatch";
- `sub` missing, not a string, not a number: "Malformed JWT claims", "Malformed JWT claims (sub not a
  string)", "Malformed JWT claims: strconv.ParseUint: parsing "x": invalid syntax"; `sub` "0" is anonymous.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any

HASHES = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
"""jwt-go's HMAC methods: a token signed with another of them verifies, then jwtauth refuses the algorithm."""
KNOWN_OTHERS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")


class TokenRefused(Exception):
    """The token was found and refused: its message is the whole error message the server answers."""


def _segment(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def encode(claims: dict[str, Any], secret: bytes, alg: str = "HS256") -> str:
    header = _segment(json.dumps({"alg": alg, "typ": "JWT"}, separators=(",", ":")).encode())
    payload = _segment(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}".encode()
    signature = hmac.new(secret, signing_input, HASHES[alg]).digest()
    return f"{header}.{payload}.{_segment(signature)}"


def issue(user_id: str, secret: bytes, now: float, minutes: float) -> str:
    """A token as the server's `Encode` makes it: `sub` the user id as a string, `exp` now + minutes."""
    return encode({"exp": int(now + minutes * 60), "sub": user_id}, secret)


def _decode_segment(segment: str) -> bytes:
    padded = segment + "=" * (-len(segment) % 4)
    for index, char in enumerate(segment):
        if not (char.isascii() and (char.isalnum() or char in "-_")):
            raise ValueError(f"illegal base64 data at input byte {index}")
    try:
        return base64.b64decode(padded, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"illegal base64 data at input byte {len(segment)}") from None


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        first = raw.strip()[:1].decode("latin-1") or " "
        raise ValueError(f"invalid character '{first}' looking for beginning of value") from None
    if not isinstance(value, dict):
        kind = {list: "array", str: "string", bool: "bool", type(None): "null"}.get(type(value), "number")
        raise ValueError(f"json: cannot unmarshal {kind} into Go value of type jwt.MapClaims")
    return value


def _numeric(claims: dict[str, Any], name: str) -> int | None:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value)


def verify(token: str, secret: bytes, now: float) -> int:
    """The user id a token names, or TokenRefused with the server's message. 0 means anonymous."""
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenRefused("failed to authorize request: token contains an invalid number of segments")
    try:
        header = _json_object(_decode_segment(parts[0]))
    except ValueError as exc:
        if token.lower().startswith("bearer "):
            raise TokenRefused("failed to authorize request: tokenstring should not contain 'bearer '") from None
        raise TokenRefused(f"failed to authorize request: {exc}") from None
    try:
        claims = _json_object(_decode_segment(parts[1]))
    except ValueError as exc:
        raise TokenRefused(f"failed to authorize request: {exc}") from None
    alg = header.get("alg")
    if alg == "none":
        raise TokenRefused("failed to authorize request: 'none' signature type is not allowed")
    if alg in KNOWN_OTHERS:
        raise TokenRefused("failed to authorize request: key is of invalid type")
    if alg not in HASHES:
        raise TokenRefused(f"failed to authorize request: signing method {alg} is invalid")
    # jwt-go checks the claims first, then the signature; jwtauth reports an expiry before anything else.
    seconds = int(now)
    expiry, issued, not_before = _numeric(claims, "exp"), _numeric(claims, "iat"), _numeric(claims, "nbf")
    claims_error = ""
    expired = bool(expiry) and seconds > (expiry or 0)
    if expired:
        claims_error = "Token is expired"
    elif issued is not None and seconds < issued:
        raise TokenRefused("failed to authorize request: jwtauth: token iat validation failed")
    elif not_before is not None and seconds < not_before:
        claims_error = "Token is not valid yet"
    expected = hmac.new(secret, f"{parts[0]}.{parts[1]}".encode(), HASHES[str(alg)]).digest()
    try:
        signature_ok = hmac.compare_digest(expected, _decode_segment(parts[2]))
    except ValueError as exc:
        signature_ok, claims_error = False, str(exc)
    if expired:
        raise TokenRefused("failed to authorize request: jwtauth: token is expired")
    if not signature_ok:
        raise TokenRefused("failed to authorize request: " + (claims_error if "base64" in claims_error else "signature is invalid"))
    if claims_error:
        raise TokenRefused(f"failed to authorize request: {claims_error}")
    if alg != "HS256":
        raise TokenRefused("failed to authorize request: jwtauth: algorithm mismatch")
    if "sub" not in claims:
        raise TokenRefused("Malformed JWT claims")
    sub = claims["sub"]
    if not isinstance(sub, str):
        raise TokenRefused("Malformed JWT claims (sub not a string)")
    if not sub.isascii() or not sub.isdigit():
        raise TokenRefused(f'Malformed JWT claims: strconv.ParseUint: parsing "{sub}": invalid syntax')
    if int(sub) >= 2**64:
        raise TokenRefused(f'Malformed JWT claims: strconv.ParseUint: parsing "{sub}": value out of range')
    return int(sub)


@dataclass
class Found:
    token: str
    where: str
    """query, header or cookie."""


def find_token(query_jwt: str | None, authorization: str | None, cookie_header: str | None) -> Found | None:
    """The token a request carries, looked for where and in the order jwtauth's Verifier looks."""
    if query_jwt:
        return Found(query_jwt, "query")
    bearer = authorization or ""
    if len(bearer) > 7 and bearer[:6].upper() == "BEARER":
        return Found(bearer[7:], "header")
    if cookie_header:
        cookie: SimpleCookie = SimpleCookie()
        try:
            cookie.load(cookie_header)
        except CookieError:
            return None
        morsel = cookie.get("jwt")
        if morsel is not None and morsel.value:
            return Found(morsel.value, "cookie")
    return None
