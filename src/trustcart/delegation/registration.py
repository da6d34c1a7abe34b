"""Registering an IAC with the status service: the delegator's own key, proved fresh.

An IAC says who delegated (``delegator_identity``) and carries a signature, but a signature
only shows that *some* key signed it. The status service therefore registers an IAC only when:

1. the key that signed it (its header's ``kid``) is, in the installation's **key directory**, a
   ``delegator`` key of exactly that ``delegator_identity``, usable now (not revoked, inside its
   validity): else ``delegator-key-unknown`` (403). The key directory is the authority on which
   keys speak for a person (the same directory the log's admission and the trust anchors are
   drawn from); a key sent along with the request proves nothing and is not read;
2. the IAC verifies under that key and is well formed: else ``iac-invalid`` (400);
3. the request carries a **proof of possession**: a JWS (``typ: act-iac-registration+jwt``)
   by the same key over ``{delegation_id, iac_digest, requested_at, nonce}``, where
   ``iac_digest`` is the JCS digest of the IAC's signed payload (``iac_digest``): else
   ``not-authorized`` (401). It binds the request to this IAC, to now (within
   ``REGISTRATION_MAX_AGE`` of the service's clock) and to one use (the service keeps its
   digest in the shared replay table before it registers anything, so a copied registration is
   refused even when the first one failed).

The IAC's signature alone is not enough because every party that sees the IAC (the agent, the
merchant, the payment provider) could otherwise register it, or register it again elsewhere.

>>> from datetime import UTC, datetime
>>> from trustcart.crypto.jws import peek_payload
>>> key = SigningKey.generate()
>>> now = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
>>> proof = sign_registration_proof("dlg_1", "sha-256:abc", key=key, now=now, nonce="n1")
>>> sorted(peek_payload(proof))
['delegation_id', 'iac_digest', 'nonce', 'requested_at']
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from trustcart.core.clock import format_instant, parse_instant
from trustcart.core.errors import ValidationError
from trustcart.core.problem import ProblemError
from trustcart.core.typs import REGISTRATION_TYP
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.jcs import jcs_digest
from trustcart.crypto.jws import peek_header, peek_payload, sign_compact, verify_compact
from trustcart.crypto.keys import PublicKey, SigningKey
from trustcart.delegation.errors import DelegationProblem, InvalidCredential
from trustcart.delegation.iac import IAC, verify_iac

REGISTRATION_MAX_AGE = timedelta(minutes=5)

# (delegator_identity, kid, now) -> that person's delegator key with this kid, usable now; or
# None. The composition root answers it from the key directory.
DelegatorKeys = Callable[[str, str, datetime], PublicKey | None]

_P = DelegationProblem


@dataclass(frozen=True)
class Registration:
    """A registration request that passed every check but the replay table."""

    iac: IAC
    key: PublicKey
    requested_at: datetime
    proof_digest: str  # what the replay table remembers: one proof, one registration


def iac_digest(iac_token: str) -> str:
    """The digest a proof names: JCS digest of the IAC's signed payload."""
    return jcs_digest(peek_payload(iac_token))


def sign_registration_proof(
    delegation_id: str,
    digest: str,
    *,
    key: SigningKey,
    now: datetime,
    nonce: str | None = None,
) -> str:
    """What the delegator's wallet sends with an IAC: proof it holds the key, now, for this IAC.

    The random ``nonce`` makes two proofs in one second distinct; each is accepted once.
    """
    payload = registration_proof_payload(delegation_id, digest, now=now, nonce=nonce)
    return sign_compact(payload, key, typ=REGISTRATION_TYP)


def registration_proof_payload(
    delegation_id: str, digest: str, *, now: datetime, nonce: str | None = None
) -> dict[str, str]:
    """The payload a proof of possession signs (for a key held elsewhere, e.g. a browser)."""
    return {
        "delegation_id": delegation_id,
        "iac_digest": digest,
        "requested_at": format_instant(now),
        "nonce": nonce if nonce is not None else secrets.token_urlsafe(16),
    }


def _refused(code: DelegationProblem, status: int, detail: str) -> ProblemError:
    return ProblemError(code, status, detail)


def _delegator_key(iac_token: str, keys: DelegatorKeys, now: datetime) -> tuple[str, PublicKey]:
    try:
        kid = peek_header(iac_token).get("kid")
        identity = peek_payload(iac_token).get("delegator_identity")
    except InvalidSignature as e:
        raise _refused(_P.IAC_INVALID, 400, "the IAC is not a JWS") from e
    if not isinstance(kid, str) or not kid or not isinstance(identity, str) or not identity:
        raise _refused(_P.IAC_INVALID, 400, "the IAC names no key or no delegator")
    key = keys(identity, kid, now)
    if key is None or key.kid != kid:
        raise _refused(
            _P.DELEGATOR_KEY_UNKNOWN, 403, "the IAC is not signed by a key of its delegator"
        )
    return identity, key


def verify_registration(
    iac_token: str, proof: str, keys: DelegatorKeys, now: datetime
) -> Registration:
    """Every check of a registration request except its single use (see module doc)."""
    identity, key = _delegator_key(iac_token, keys, now)
    try:
        iac = verify_iac(iac_token, {key.kid: key})
    except (InvalidSignature, InvalidCredential) as e:
        raise _refused(_P.IAC_INVALID, 400, "the IAC does not verify") from e
    if iac.delegator_identity != identity:  # pragma: no cover - the same signed payload
        raise _refused(_P.IAC_INVALID, 400, "the IAC names another delegator")
    try:
        payload = verify_compact(proof, {key.kid: key}, typ=REGISTRATION_TYP).payload
        requested_at = parse_instant(payload.get("requested_at"))  # type: ignore[arg-type]
        nonce = payload.get("nonce")
    except (InvalidSignature, ValidationError) as e:
        raise _refused(_P.NOT_AUTHORIZED, 401, "the proof of possession does not verify") from e
    if not isinstance(nonce, str) or not nonce:
        raise _refused(_P.NOT_AUTHORIZED, 401, "the proof of possession carries no nonce")
    if payload.get("delegation_id") != iac.delegation_id or payload.get("iac_digest") != iac_digest(
        iac_token
    ):
        raise _refused(_P.NOT_AUTHORIZED, 401, "the proof of possession is for another IAC")
    if abs(now - requested_at) > REGISTRATION_MAX_AGE:
        raise _refused(_P.NOT_AUTHORIZED, 401, "the proof of possession is stale")
    return Registration(iac, key, requested_at, jcs_digest(payload))
