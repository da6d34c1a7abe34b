"""Delegate SD-JWT chains (draft-gco-oauth-delegate-sd-jwt) for AP2 open mandates.

Strategy: in AP2's human-not-present mode the person's wallet signs an *open* mandate and the
agent later signs the *closed* one under it, with the key the open one names in ``cnf``. AP2
carries both as one dSD-JWT, in the compact form of its examples (``payment_mandate.md``):

    <issuer JWT>~<disclosure>~...~<disclosure>~~<KB-SD-JWT>~<delegate disclosure>~...~

* the issuer JWT (``typ`` dc+sd-jwt, ES256, ``kid`` the wallet's mandate key) signs
  ``{"delegate_payload": [{"...": d}], "_sd_alg": "sha-256", "iat"}``; the disclosure with
  digest ``d`` is ``[salt, <open mandate content>]``, and the content's array elements may be
  disclosures themselves (AP2's ``x-selectively-disclosable-array``: allowed payees, items);
* the KB-SD-JWT (``typ`` kb+sd-jwt, ES256, signed by the open mandate's ``cnf.jwk``) is the
  key binding of the open part and the SD-JWT of the closed one at once:
  ``{"delegate_payload": [{"...": d'}], "aud", "nonce", "iat", "sd_hash", "_sd_alg"}`` where
  ``sd_hash`` is the SHA-256 of the open part as presented (up to and including its last ``~``)
  and ``d'`` names ``[salt, <closed mandate content>]``.

Verification (``verify_chain``) refuses at the first failure: exactly one ``~~`` (one hop: the
agent does not delegate further), ES256 both, the issuer key looked up by ``kid`` (never taken
from the token), the KB-SD-JWT's key from the open content's ``cnf``, ``aud`` / ``nonce`` /
``iat`` as for a KB-JWT, ``sd_hash`` over the open part, exactly one disclosed element in each
``delegate_payload``, every disclosure referenced by exactly one digest (one added to a
presentation is refused, not ignored), undisclosed array elements dropped. Failures use the
same opaque codes as ``sdjwt`` (STYLE 9).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from trustcart.crypto.errors import InvalidSignature, KeyFormatError
from trustcart.crypto.jcs import b64url, b64url_decode
from trustcart.crypto.keys import PublicKey, SigningKey
from trustcart.delegation.ap2.errors import AP2Refusal, MandateRefused
from trustcart.delegation.ap2.sdjwt import (
    ALGORITHM,
    CLOCK_SKEW,
    KB_MAX_AGE,
    MAX_PRESENTATION,
    SD_JWT_TYP,
    IssuerKeys,
    sha256_b64url,
)

__all__ = [
    "VerifiedChain",
    "chain_reference",
    "close",
    "conceal_elements",
    "decoded",
    "is_chain",
    "issue_open",
    "select",
    "sha256_b64url",
    "split_chain",
    "verify_chain",
]

KB_SD_JWT_TYP = "kb+sd-jwt"
_MALFORMED, _SIGNATURE, _BINDING = (
    AP2Refusal.MALFORMED,
    AP2Refusal.SIGNATURE_INVALID,
    AP2Refusal.KEY_BINDING_INVALID,
)


def _salt() -> str:
    return b64url(secrets.token_bytes(16))


def _json_b64(value: Any) -> str:
    return b64url(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def decoded(disclosure: str) -> list[Any]:
    """A disclosure's JSON array (``[salt, value]`` or ``[salt, name, value]``)."""
    value = json.loads(b64url_decode(disclosure))
    if not isinstance(value, list) or len(value) not in (2, 3):
        raise ValueError("a disclosure is not a 2- or 3-element array")
    return value


def _disclosure(value: Any) -> tuple[str, str]:
    """An array-element disclosure ``[salt, value]`` and its digest."""
    disclosure = _json_b64([_salt(), value])
    return disclosure, sha256_b64url(disclosure)


def _sign(header: Mapping[str, Any], payload: Mapping[str, Any], key: SigningKey) -> str:
    if key.alg != ALGORITHM:
        raise ValueError("AP2 mandates are signed with ES256 (P-256) keys")
    signing_input = f"{_json_b64(header)}.{_json_b64(payload)}"
    return f"{signing_input}.{b64url(key.sign(signing_input.encode('ascii')))}"


def conceal_elements(values: list[Any]) -> tuple[list[dict[str, str]], list[str]]:
    """Each element of ``values`` made selectively disclosable: the ``{"...": digest}`` list
    to put in the content and the disclosures the holder keeps."""
    concealed, disclosures = [], []
    for value in values:
        disclosure, digest = _disclosure(value)
        concealed.append({"...": digest})
        disclosures.append(disclosure)
    return concealed, disclosures


def issue_open(
    content: Mapping[str, Any],
    element_disclosures: list[str],
    *,
    issuer_key: SigningKey,
    now: datetime,
) -> str:
    """The wallet's open mandate: ``content`` (already carrying its ``cnf`` and any concealed
    elements, whose disclosures are ``element_disclosures``) as the one ``delegate_payload``
    element. Ends with ``~``: the agent closes it (``close``)."""
    disclosure, digest = _disclosure(dict(content))
    header = {"alg": ALGORITHM, "typ": SD_JWT_TYP, "kid": issuer_key.kid}
    payload = {
        "delegate_payload": [{"...": digest}],
        "_sd_alg": "sha-256",
        "iat": int(now.timestamp()),
    }
    return "~".join([_sign(header, payload, issuer_key), disclosure, *element_disclosures]) + "~"


def select(open_issuance: str, keep: Callable[[Any], bool]) -> str:
    """The open mandate with only the element disclosures whose value ``keep`` accepts (AP2: the
    agent presents only what the closed mandate's evaluation needs). The mandate's own
    disclosure (the first) is always kept."""
    issuer_jwt, mandate, *elements = open_issuance.rstrip("~").split("~")
    kept = [d for d in elements if keep(decoded(d)[-1])]
    return "~".join([issuer_jwt, mandate, *kept]) + "~"


def close(
    open_presentation: str,
    closed_content: Mapping[str, Any],
    *,
    agent_key: SigningKey,
    audience: str,
    nonce: str,
    now: datetime,
) -> str:
    """The agent's closed mandate under ``open_presentation`` (signed by the ``cnf`` key),
    bound to ``audience`` and ``nonce``: the whole chain, ready to send."""
    disclosure, digest = _disclosure(dict(closed_content))
    header = {"alg": ALGORITHM, "typ": KB_SD_JWT_TYP}
    payload = {
        "delegate_payload": [{"...": digest}],
        "iat": int(now.timestamp()),
        "aud": audience,
        "nonce": nonce,
        "sd_hash": sha256_b64url(open_presentation),
        "_sd_alg": "sha-256",
    }
    return f"{open_presentation}~{_sign(header, payload, agent_key)}~{disclosure}~"


@dataclass(frozen=True)
class VerifiedChain:
    """A verified open-closed chain: both contents, disclosures resolved."""

    open_claims: dict[str, Any]
    closed_claims: dict[str, Any]
    issuer_kid: str  # the wallet's mandate key
    agent_key: PublicKey  # the open mandate's ``cnf``, which signed the closed one
    open_reference: str  # SHA-256 of the open issuer JWT (``payment.reference``)
    kb_iat: int
    digest: str  # SHA-256 of the closed part (AP2 receipts' ``reference`` for a chain)


@dataclass(frozen=True)
class _Part:
    header: dict[str, Any]
    payload: dict[str, Any]
    signing_input: bytes
    signature: bytes
    disclosures: tuple[str, ...]


def _object(text: str) -> dict[str, Any]:
    value = json.loads(b64url_decode(text))
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def _part(text: str) -> _Part:
    """``<jwt>~<disclosure>~...~`` parsed (nothing verified)."""
    if not text.endswith("~"):
        raise ValueError("an SD-JWT part must end with ~")
    jwt, *disclosures = text[:-1].split("~")
    pieces = jwt.split(".")
    if len(pieces) != 3 or "" in disclosures:
        raise ValueError("not a compact JWS with disclosures")
    return _Part(
        _object(pieces[0]),
        _object(pieces[1]),
        f"{pieces[0]}.{pieces[1]}".encode("ascii"),
        b64url_decode(pieces[2]),
        tuple(disclosures),
    )


def split_chain(chain: str) -> tuple[str, str]:
    """The open part (ending in ``~``) and the closed part of a one-hop dSD-JWT."""
    if not isinstance(chain, str) or not 0 < len(chain) <= MAX_PRESENTATION:
        raise MandateRefused(_MALFORMED, "a mandate chain must be a dSD-JWT string")
    if chain.count("~~") != 1:
        raise MandateRefused(_MALFORMED, "a mandate chain has exactly one delegation (~~)")
    open_part, closed_part = chain.split("~~")
    return open_part + "~", closed_part


class _Resolver:
    """Replaces digests by the presented disclosures, each used exactly once."""

    def __init__(self, disclosures: tuple[str, ...]) -> None:
        self._by_digest: dict[str, Any] = {}
        for disclosure in disclosures:
            digest = sha256_b64url(disclosure)
            if digest in self._by_digest:
                raise ValueError("a disclosure is presented twice")
            self._by_digest[digest] = decoded(disclosure)
        self._used: set[str] = set()

    def _take(self, digest: Any, size: int) -> Any:
        if not isinstance(digest, str) or digest in self._used:
            raise ValueError("a digest is referenced twice or is not a string")
        found = self._by_digest.get(digest)
        if found is None:
            return None
        if len(found) != size:
            raise ValueError("a disclosure of the wrong kind for its digest")
        self._used.add(digest)
        return found

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            out = []
            for element in node:
                if isinstance(element, dict) and set(element) == {"..."}:
                    found = self._take(element["..."], 2)
                    if found is not None:
                        out.append(self.resolve(found[1]))
                else:
                    out.append(self.resolve(element))
            return out
        if isinstance(node, dict):
            out_obj = {k: self.resolve(v) for k, v in node.items() if k not in ("_sd", "...")}
            for digest in node.get("_sd", []):
                found = self._take(digest, 3)
                if found is not None:
                    name = found[1]
                    if not isinstance(name, str) or name in out_obj or name in ("_sd", "..."):
                        raise ValueError("a disclosed claim name is invalid or repeated")
                    out_obj[name] = self.resolve(found[2])
            return out_obj
        return node

    def check_all_used(self) -> None:
        if set(self._by_digest) != self._used:
            raise ValueError("a disclosure is referenced by no digest")


def _content(part: _Part) -> dict[str, Any]:
    """The one disclosed ``delegate_payload`` element of ``part``, fully resolved."""
    if part.payload.get("_sd_alg", "sha-256") != "sha-256":
        raise MandateRefused(_MALFORMED, "only sha-256 disclosures are accepted")
    try:
        resolver = _Resolver(part.disclosures)
        delegated = resolver.resolve(part.payload.get("delegate_payload"))
        resolver.check_all_used()
    except (ValueError, UnicodeError, TypeError) as e:
        raise MandateRefused(_MALFORMED, f"the mandate's disclosures do not resolve: {e}") from e
    if not isinstance(delegated, list) or len(delegated) != 1 or not isinstance(delegated[0], dict):
        raise MandateRefused(_MALFORMED, "exactly one delegate_payload element must be disclosed")
    return delegated[0]


def _verified(part: _Part, key: PublicKey) -> None:
    try:
        key.verify(part.signature, part.signing_input)
    except InvalidSignature as e:
        raise MandateRefused(_SIGNATURE, "the mandate does not verify") from e


def _cnf_key(open_claims: Mapping[str, Any]) -> PublicKey:
    cnf = open_claims.get("cnf")
    jwk = cnf.get("jwk") if isinstance(cnf, dict) else None
    try:
        key = PublicKey.from_jwk(jwk) if isinstance(jwk, dict) else None
    except (KeyFormatError, KeyError, TypeError) as e:
        raise MandateRefused(_BINDING, "the open mandate's cnf key does not parse") from e
    if key is None or key.alg != ALGORITHM:
        raise MandateRefused(_BINDING, "the open mandate names no ES256 cnf key")
    return key


def _check_binding(payload: Mapping[str, Any], *, audience: str, nonce: str, now: datetime) -> int:
    if payload.get("aud") != audience or payload.get("nonce") != nonce:
        raise MandateRefused(_BINDING, "the key binding names another audience or nonce")
    iat = payload.get("iat")
    if isinstance(iat, bool) or not isinstance(iat, int):
        raise MandateRefused(_BINDING, "the key binding has no iat")
    at = int(now.timestamp())
    if iat > at + CLOCK_SKEW.total_seconds() or iat < at - (KB_MAX_AGE + CLOCK_SKEW).seconds:
        raise MandateRefused(_BINDING, "the key binding is stale")
    return iat


def _not_expired(payload: Mapping[str, Any], now: datetime) -> None:
    """A signed JWT's own ``exp`` (outside the delegate payload), when it has one, holds too."""
    exp = payload.get("exp")
    if exp is None:
        return
    if isinstance(exp, bool) or not isinstance(exp, int) or exp <= int(now.timestamp()):
        raise MandateRefused(AP2Refusal.EXPIRED, "the mandate's JWT has expired")


def verify_chain(
    chain: str, *, issuer_key: IssuerKeys, audience: str, nonce: str, now: datetime
) -> VerifiedChain:
    """Verify a one-hop open-closed chain presented to ``audience`` under ``nonce`` (module
    doc); raises ``MandateRefused``."""
    open_text, closed_text = split_chain(chain)
    try:
        open_part, closed_part = _part(open_text), _part(closed_text)
    except (ValueError, UnicodeError) as e:
        raise MandateRefused(_MALFORMED, f"not a dSD-JWT: {e}") from e
    header = open_part.header
    if header.get("alg") != ALGORITHM or header.get("typ") != SD_JWT_TYP:
        raise MandateRefused(_MALFORMED, "the open mandate must be ES256, typ dc+sd-jwt")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise MandateRefused(_MALFORMED, "the open mandate names no kid")
    key = issuer_key(kid)
    if key is None or key.alg != ALGORITHM:
        raise MandateRefused(AP2Refusal.ISSUER_UNKNOWN, "the mandate's issuer key is not trusted")
    _verified(open_part, key)
    _not_expired(open_part.payload, now)
    open_claims = _content(open_part)
    agent_key = _cnf_key(open_claims)
    closed_header = closed_part.header
    if closed_header.get("alg") != ALGORITHM or closed_header.get("typ") != KB_SD_JWT_TYP:
        raise MandateRefused(_MALFORMED, "the closed mandate must be ES256, typ kb+sd-jwt")
    _verified(closed_part, agent_key)
    _not_expired(closed_part.payload, now)
    if closed_part.payload.get("sd_hash") != sha256_b64url(open_text):
        raise MandateRefused(_BINDING, "the closed mandate is bound to another open mandate")
    kb_iat = _check_binding(closed_part.payload, audience=audience, nonce=nonce, now=now)
    closed_claims = _content(closed_part)
    open_jwt = open_text.split("~", maxsplit=1)[0]
    return VerifiedChain(
        open_claims,
        closed_claims,
        kid,
        agent_key,
        sha256_b64url(open_jwt),
        kb_iat,
        sha256_b64url(closed_text),
    )


def is_chain(presentation: object) -> bool:
    """Whether ``presentation`` is a delegation chain (``~~``) rather than an SD-JWT+KB."""
    return isinstance(presentation, str) and "~~" in presentation


def chain_reference(presentation: str) -> str:
    """AP2 receipts' ``reference``: over the final SD-JWT of a chain, else the whole mandate."""
    if is_chain(presentation):
        return sha256_b64url(presentation.split("~~", maxsplit=1)[1])
    return sha256_b64url(presentation)
