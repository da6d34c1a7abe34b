"""JWS with detached content (RFC 7515 Appendix F) over the JCS bytes of a JSON object.

UCP's AP2 extension signs a checkout this way (``ap2.merchant_authorization``): the signature
is a compact JWS whose payload segment is left empty, ``<header>..<signature>``, because the
payload travels as the checkout body itself. The signing input is still
``<header>.<base64url(JCS(payload))>``, so both sides rebuild it from the JSON they hold; JCS
(RFC 8785) makes that reproducible whatever re-serialised the body on the way.

Rules kept: the header is exactly ``{"alg", "kid"}`` (what UCP requires; no ``crit``, no
``b64: false`` tricks: the payload is base64url-encoded as RFC 7515 says); ``alg`` must be the
verifying key's own (ES256 for the P-256 keys UCP publishes: no algorithm confusion); every
failure is one opaque ``InvalidSignature`` (STYLE 9). ``attach`` gives the ordinary compact JWS
of the same signature (a JWT of the checkout), which is what an AP2 checkout mandate carries.

>>> key = SigningKey.generate("ES256")
>>> detached = sign_detached({"id": "chk_1"}, key)
>>> detached.split(".")[1]
''
>>> verify_detached(detached, {"id": "chk_1"}, {key.kid: key.public})["kid"] == key.kid
True
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError

from trustcart.core.json_limits import loads_bounded
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.jcs import b64url, b64url_decode, canonicalize
from trustcart.crypto.jws import KeyResolver
from trustcart.crypto.keys import PublicKey, SigningKey

DETACHED = re.compile(r"^[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]+$")  # ap2_mandate.json's pattern
MAX_HEADER = 1024  # characters of the encoded header; ours is about 80


def sign_detached(payload: Mapping[str, Any], key: SigningKey) -> str:
    """``<header>..<signature>`` over the JCS bytes of ``payload``, header ``{alg, kid}``."""
    header = {"alg": key.alg, "kid": key.kid}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # joserfc's EdDSA naming warning (see crypto.jws)
        compact = jws.serialize_compact(
            header, canonicalize(dict(payload)), key.as_joserfc(), algorithms=[key.alg]
        )
    encoded_header, _payload, signature = compact.split(".")
    return f"{encoded_header}..{signature}"


def attach(detached: str, payload: Mapping[str, Any]) -> str:
    """The compact JWS ``<header>.<base64url(JCS(payload))>.<signature>`` of ``detached``."""
    if not isinstance(detached, str) or not DETACHED.match(detached):
        raise InvalidSignature
    encoded_header, _, signature = detached.split(".")
    return f"{encoded_header}.{b64url(canonicalize(dict(payload)))}.{signature}"


def detach(compact: str) -> tuple[str, dict[str, Any]]:
    """(``<header>..<signature>``, payload) of a compact JWS; NOT verified (``verify_detached``
    on the result is the check)."""
    parts = compact.split(".") if isinstance(compact, str) else []
    if len(parts) != 3 or not all(parts):
        raise InvalidSignature
    try:
        payload = loads_bounded(b64url_decode(parts[1]))
    except (ValueError, TypeError) as e:
        raise InvalidSignature from e
    if not isinstance(payload, dict):
        raise InvalidSignature
    return f"{parts[0]}..{parts[2]}", payload


def _header(encoded: str) -> dict[str, Any]:
    if len(encoded) > MAX_HEADER:
        raise InvalidSignature
    try:
        header = loads_bounded(b64url_decode(encoded))
    except (ValueError, TypeError) as e:
        raise InvalidSignature from e
    if not isinstance(header, dict) or set(header) != {"alg", "kid"}:
        raise InvalidSignature  # exactly UCP's two claims: no crit, no b64, no jwk/jku
    return header


def verify_detached(
    detached: str, payload: Mapping[str, Any], keys: Mapping[str, PublicKey] | KeyResolver
) -> dict[str, Any]:
    """Verify ``detached`` over ``payload`` with the key its ``kid`` names; return the header.

    Raises ``InvalidSignature`` for every failure (shape, unknown kid, alg not the key's, a
    payload other than the one signed).
    """
    token = attach(detached, payload)
    header = _header(token.split(".", 1)[0])
    kid, alg = header["kid"], header["alg"]
    key = (
        (keys.get(kid) if isinstance(keys, Mapping) else keys(kid))
        if isinstance(kid, str)
        else None
    )
    if key is None or alg != key.alg:
        raise InvalidSignature
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            jws.deserialize_compact(token, key.as_joserfc(), algorithms=[str(alg)])
    except (JoseError, ValueError, TypeError) as e:
        raise InvalidSignature from e
    return header
