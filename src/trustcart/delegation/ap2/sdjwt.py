"""SD-JWT with key binding (RFC 9901) for AP2 mandates, over the ``sd-jwt`` library.

Strategy: the OpenWallet Foundation's ``sd-jwt`` (0.10.4, on jwcrypto) does the SD-JWT work:
salted disclosures and digests, the issuer's JWS, the holder's presentation and the KB-JWT,
and on the verifier's side the signature, ``cnf`` key, ``sd_hash``, audience and nonce. This
module adds what the library leaves to its caller, and what AP2 needs:

* time is passed in: the KB-JWT's ``iat`` comes from the caller's ``now`` (the library reads
  the wall clock, so ``_TimedHolder`` overrides that one step), and the verifier checks it
  against ``now`` (not older than ``KB_MAX_AGE``, not in the future beyond ``CLOCK_SKEW``);
* ES256 only (AP2's ``types/jwk.json``: P-256), for the issuer and for the ``cnf`` key; the
  issuer's ``kid`` is looked up by the caller (``issuer_key``), never taken from the token;
* a key-binding JWT is required; every presented disclosure must be referenced by a digest
  (a disclosure "added" to a presentation is refused, not ignored); the payload's ``_sd_alg``
  must be ``sha-256``.

Failures are opaque (STYLE 9): a bad signature anywhere is ``ap2-mandate-signature-invalid``;
a KB-JWT for another audience or nonce, or with a stale ``iat``, is
``ap2-mandate-key-binding-invalid``; anything that does not parse is ``ap2-mandate-malformed``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from jwcrypto.jwk import JWK
from jwcrypto.jws import JWS
from sd_jwt.common import SDObj
from sd_jwt.holder import SDJWTHolder
from sd_jwt.issuer import SDJWTIssuer
from sd_jwt.verifier import SDJWTVerifier

from trustcart.crypto.jcs import b64url, b64url_decode
from trustcart.crypto.keys import PublicKey, SigningKey
from trustcart.delegation.ap2.errors import AP2Refusal, MandateRefused

SD_JWT_TYP = "dc+sd-jwt"
KB_JWT_TYP = "kb+jwt"
ALGORITHM = "ES256"
KB_MAX_AGE = timedelta(minutes=5)
CLOCK_SKEW = timedelta(seconds=60)
MAX_PRESENTATION = 64 * 1024  # characters; a mandate is a few kilobytes

IssuerKeys = Callable[[str], PublicKey | None]


def sha256_b64url(text: str) -> str:
    """The base64url SHA-256 of ``text``'s ASCII bytes (AP2's ``checkout_hash``, ``sd_hash``).

    >>> sha256_b64url("abc")
    'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0'
    """
    return b64url(hashlib.sha256(text.encode("ascii")).digest())


def _jwcrypto(key: SigningKey | PublicKey) -> JWK:
    if key.alg != ALGORITHM:
        raise ValueError("AP2 mandates are signed with ES256 (P-256) keys")
    jwk = key.to_private_jwk() if isinstance(key, SigningKey) else key.to_jwk()
    return JWK(**jwk)


def issue(
    claims: Mapping[str, Any],
    *,
    disclosable: Collection[str],
    issuer_key: SigningKey,
    holder: PublicKey,
) -> str:
    """Issue an SD-JWT (``typ`` dc+sd-jwt, ``kid`` = the issuer's) whose top-level claims named
    in ``disclosable`` are selectively disclosable, bound (``cnf.jwk``) to ``holder``.

    The result ends with ``~`` and has no KB-JWT yet: ``present`` adds it.
    """
    user_claims = {SDObj(name) if name in disclosable else name: v for name, v in claims.items()}
    issuer = SDJWTIssuer(
        user_claims,
        _jwcrypto(issuer_key),
        holder_key=_jwcrypto(holder),
        sign_alg=ALGORITHM,
        extra_header_parameters={"typ": SD_JWT_TYP, "kid": issuer_key.kid},
    )
    issuance: str = issuer.sd_jwt_issuance
    return issuance if issuance.endswith("~") else issuance + "~"


class _TimedHolder(SDJWTHolder):  # type: ignore[misc]  # the library is untyped
    """The library's holder with the KB-JWT's ``iat`` taken from the caller, not the clock."""

    def __init__(self, issuance: str, iat: int) -> None:
        super().__init__(issuance)
        self._iat = iat

    def _create_key_binding_jwt(
        self, nonce: str, aud: str, presentation_hash: str, holder_key: JWK, sign_alg: str
    ) -> None:
        header = {"alg": sign_alg, "typ": KB_JWT_TYP}
        payload = {"nonce": nonce, "aud": aud, "iat": self._iat, "sd_hash": presentation_hash}
        jws = JWS(payload=json.dumps(payload))
        jws.add_signature(holder_key, alg=sign_alg, protected=json.dumps(header))
        self.key_binding_jwt_header, self.key_binding_jwt_payload = header, payload
        self.key_binding_jwt = jws
        self.serialized_key_binding_jwt = jws.serialize(compact=True)


def present(
    issuance: str, *, holder_key: SigningKey, audience: str, nonce: str, now: datetime
) -> str:
    """Present every disclosure of ``issuance`` with a KB-JWT for ``audience`` and ``nonce``."""
    holder = _TimedHolder(issuance, int(now.timestamp()))
    everything = dict.fromkeys(_disclosed_names(issuance), True)
    holder.create_presentation(
        everything, nonce=nonce, aud=audience, holder_key=_jwcrypto(holder_key), sign_alg=ALGORITHM
    )
    presentation: str = holder.sd_jwt_presentation
    return presentation


def _disclosed_names(issuance: str) -> list[str]:
    names = []
    for part in issuance.split("~")[1:]:
        if part:
            decoded = json.loads(b64url_decode(part))
            if isinstance(decoded, list) and len(decoded) == 3:
                names.append(decoded[1])
    return names


def disclosed_claims_unverified(presentation: str) -> dict[str, Any]:
    """The top-level claims disclosed in ``presentation``, NOT verified: only to learn which
    audience to verify it for. Raises ``MandateRefused(ap2-mandate-malformed)``."""
    _, disclosures, _ = _split(presentation)
    claims: dict[str, Any] = {}
    for disclosure in disclosures:
        decoded = json.loads(b64url_decode(disclosure))
        if len(decoded) == 3 and isinstance(decoded[1], str):
            claims.setdefault(decoded[1], decoded[2])
    return claims


@dataclass(frozen=True)
class VerifiedPresentation:
    """What a verified SD-JWT+KB says: its disclosed claims and who signed what."""

    claims: dict[str, Any]  # disclosed claims, digests resolved (``cnf``, ``iat``... kept)
    issuer_kid: str
    kb_iat: int
    digest: str  # sha256_b64url of the whole presentation (AP2 receipts' ``reference``)


def _json_part(part: str) -> dict[str, Any]:
    value = json.loads(b64url_decode(part))
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def _split(presentation: str) -> tuple[dict[str, Any], list[str], dict[str, Any]]:
    """The issuer JWT's header, the disclosures and the KB-JWT's (unverified) payload."""
    if not isinstance(presentation, str) or not 0 < len(presentation) <= MAX_PRESENTATION:
        raise MandateRefused(AP2Refusal.MALFORMED, "a mandate must be an SD-JWT+KB string")
    try:
        issuer_jwt, *disclosures, kb_jwt = presentation.split("~")
        if issuer_jwt.count(".") != 2 or kb_jwt.count(".") != 2 or "" in disclosures:
            raise ValueError("not compact SD-JWT+KB")
        header = _json_part(issuer_jwt.split(".")[0])
        kb_payload = _json_part(kb_jwt.split(".")[1])
        for disclosure in disclosures:
            decoded = json.loads(b64url_decode(disclosure))
            if not isinstance(decoded, list) or len(decoded) not in (2, 3):
                raise ValueError("a disclosure is not a 2- or 3-element array")
    except (ValueError, UnicodeError) as e:
        raise MandateRefused(AP2Refusal.MALFORMED, f"not an SD-JWT+KB: {e}") from e
    if header.get("alg") != ALGORITHM or header.get("typ") != SD_JWT_TYP:
        raise MandateRefused(AP2Refusal.MALFORMED, "the SD-JWT must be ES256, typ dc+sd-jwt")
    if not isinstance(header.get("kid"), str) or not header["kid"]:
        raise MandateRefused(AP2Refusal.MALFORMED, "the SD-JWT names no kid")
    return header, disclosures, kb_payload


def _referenced_digests(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        digests = node.get("_sd", [])
        if isinstance(digests, list):
            found.update(d for d in digests if isinstance(d, str))
        if len(node) == 1 and isinstance(node.get("..."), str):
            found.add(node["..."])
        for value in node.values():
            _referenced_digests(value, found)
    elif isinstance(node, list):
        for value in node:
            _referenced_digests(value, found)


def _check_every_disclosure_is_referenced(issuer_jwt: str, disclosures: list[str]) -> None:
    found: set[str] = set()
    _referenced_digests(_json_part(issuer_jwt.split(".")[1]), found)
    for disclosure in disclosures:  # nested disclosures are referenced from disclosed values
        _referenced_digests(json.loads(b64url_decode(disclosure)), found)
    if any(sha256_b64url(disclosure) not in found for disclosure in disclosures):
        raise MandateRefused(AP2Refusal.MALFORMED, "a disclosure is referenced by no digest")


def verify_presentation(
    presentation: str, *, issuer_key: IssuerKeys, audience: str, nonce: str, now: datetime
) -> VerifiedPresentation:
    """Verify an SD-JWT+KB presented to ``audience`` under ``nonce`` at ``now``.

    ``issuer_key(kid)`` returns the trusted ES256 key for that ``kid`` or None (refused as
    ``ap2-mandate-issuer-unknown``). Returns the disclosed claims; raises ``MandateRefused``.
    """
    header, disclosures, kb_payload = _split(presentation)
    key = issuer_key(header["kid"])
    if key is None or key.alg != ALGORITHM:
        raise MandateRefused(AP2Refusal.ISSUER_UNKNOWN, "the mandate's issuer key is not trusted")
    try:
        verifier = SDJWTVerifier(
            presentation,
            lambda _issuer, _header: _jwcrypto(key),
            expected_aud=audience,
            expected_nonce=nonce,
        )
        claims = verifier.get_verified_payload()
    except Exception as e:  # the library raises ValueError, KeyError, jwcrypto errors...
        if kb_payload.get("aud") != audience or kb_payload.get("nonce") != nonce:
            raise MandateRefused(
                AP2Refusal.KEY_BINDING_INVALID, "the key binding names another audience or nonce"
            ) from e
        raise MandateRefused(AP2Refusal.SIGNATURE_INVALID, "the mandate does not verify") from e
    issuer_payload = _json_part(presentation.split("~", maxsplit=1)[0].split(".")[1])
    if issuer_payload.get("_sd_alg", "sha-256") != "sha-256":
        raise MandateRefused(AP2Refusal.MALFORMED, "only sha-256 disclosures are accepted")
    _check_every_disclosure_is_referenced(presentation.split("~", maxsplit=1)[0], disclosures)
    iat = kb_payload.get("iat")
    if isinstance(iat, bool) or not isinstance(iat, int):
        raise MandateRefused(AP2Refusal.KEY_BINDING_INVALID, "the key binding has no iat")
    at = int(now.timestamp())
    if iat > at + CLOCK_SKEW.total_seconds() or iat < at - (KB_MAX_AGE + CLOCK_SKEW).seconds:
        raise MandateRefused(AP2Refusal.KEY_BINDING_INVALID, "the key binding is stale")
    if not isinstance(claims, dict):  # pragma: no cover - the library returns a dict
        raise MandateRefused(AP2Refusal.MALFORMED, "the mandate's claims are not an object")
    return VerifiedPresentation(claims, header["kid"], iat, sha256_b64url(presentation))
