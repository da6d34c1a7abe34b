"""JWS compact serialization over JCS bytes (RFC 7515 + RFC 8785).

Every signed object in trustcart (IAC, confirmed cart, approval, receipt, status, tree head,
attestation record) is a JWS whose payload is the RFC 8785 canonical form of a JSON object, and
whose protected header carries ``alg``, ``kid`` (RFC 7638 thumbprint) and ``typ``. Verifiers
check ``typ`` so that one kind of signed object can never be passed off as another.

``alg`` is ``EdDSA`` for Ed25519 keys (the name every JOSE peer understands; RFC 9864's
fully-specified ``Ed25519`` is accepted on input too) and ``ES256`` for P-256. The header's
``alg`` must match the key's own type: no algorithm confusion. Tokens arrive from anywhere, so
headers and payloads are parsed with ``core.json_limits.loads_bounded``: a header nested
deeper than ``MAX_JSON_DEPTH`` is an ``InvalidSignature`` like any other malformed token.

>>> key = SigningKey.generate()
>>> token = sign_compact({"a": "1"}, key, typ="example+jws")
>>> verify_compact(token, {key.kid: key.public}, typ="example+jws").payload
{'a': '1'}
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError

from trustcart.core.json_limits import loads_bounded
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.jcs import b64url_decode, canonicalize
from trustcart.crypto.keys import PublicKey, SigningKey

KeyResolver = Callable[[str], PublicKey | None]


@dataclass(frozen=True)
class VerifiedJWS:
    header: dict[str, Any]
    payload: dict[str, Any]


def sign_compact(
    payload: Mapping[str, Any],
    key: SigningKey,
    *,
    typ: str,
    extra_header: Mapping[str, Any] | None = None,
) -> str:
    """Sign the JCS bytes of ``payload`` and return a compact JWS."""
    header: dict[str, Any] = {"alg": key.alg, "kid": key.kid, "typ": typ}
    if extra_header:
        header.update(extra_header)
    with warnings.catch_warnings():
        # joserfc warns that "EdDSA" is superseded by RFC 9864 names; we keep it for peers.
        warnings.simplefilter("ignore")
        return jws.serialize_compact(
            header, canonicalize(dict(payload)), key.as_joserfc(), algorithms=[key.alg]
        )


def peek_header(token: str) -> dict[str, Any]:
    """Decode the protected header without verifying (for routing only, never for trust)."""
    if not isinstance(token, str) or token.count(".") != 2:
        raise InvalidSignature
    try:
        header = loads_bounded(b64url_decode(token.split(".", 1)[0]))
    except (ValueError, TypeError) as e:
        raise InvalidSignature from e
    if not isinstance(header, dict):
        raise InvalidSignature
    return header


def peek_payload(token: str) -> dict[str, Any]:
    """Decode the payload without verifying (for display and routing only, never for trust)."""
    if not isinstance(token, str) or token.count(".") != 2:
        raise InvalidSignature
    try:
        payload = loads_bounded(b64url_decode(token.split(".")[1]))
    except (ValueError, TypeError) as e:
        raise InvalidSignature from e
    if not isinstance(payload, dict):
        raise InvalidSignature
    return payload


def verify_compact(
    token: str, keys: Mapping[str, PublicKey] | KeyResolver, *, typ: str
) -> VerifiedJWS:
    """Verify a compact JWS against the key its ``kid`` names; check ``typ``; return the payload.

    Raises ``InvalidSignature`` for every failure (unknown kid, wrong typ, alg mismatch, bad
    signature, payload not a JSON object, payload not in canonical form).
    """
    header = peek_header(token)
    kid = header.get("kid")
    if not isinstance(kid, str) or header.get("typ") != typ:
        raise InvalidSignature
    key = keys.get(kid) if isinstance(keys, Mapping) else keys(kid)
    if key is None:
        raise InvalidSignature
    alg = header.get("alg")
    if alg not in ((key.alg, "Ed25519") if key.alg == "EdDSA" else (key.alg,)):
        raise InvalidSignature
    if "crit" in header:
        raise InvalidSignature  # no critical header extensions are understood
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            obj = jws.deserialize_compact(token, key.as_joserfc(), algorithms=[str(alg)])
    except (JoseError, ValueError, TypeError) as e:
        raise InvalidSignature from e
    raw = obj.payload
    try:
        payload = loads_bounded(raw)
    except ValueError as e:
        raise InvalidSignature from e
    if not isinstance(payload, dict) or canonicalize(payload) != raw:
        # Only canonical payloads are accepted, so one object has exactly one signed form.
        raise InvalidSignature
    return VerifiedJWS(header=header, payload=payload)
