"""UCP's AP2 mandate extension (``dev.ucp.shopping.ap2_mandate``), the business's side.

When the platform's profile and ours both list the extension (``negotiation``), the session is
"security locked" (UCP ``ap2-mandates``):

* every checkout answer carries ``ap2.merchant_authorization``: a JWS with detached content
  (``crypto.detached_jws``) over the JCS bytes of the answer without ``ap2``, header ``alg``
  ES256 and ``kid`` the business key's (``ucp-business``, the first of the profile's
  ``signing_keys``). It is added last, over the body exactly as sent (``authorize``);
* complete requires ``ap2.checkout_mandate`` (``mandate_required`` without it), an AP2 v0.2
  closed checkout mandate (SD-JWT+KB, ``delegation.ap2``) whose ``checkout_jwt`` is that
  detached JWS re-attached to its checkout (``crypto.detached_jws.attach``), so the mandate
  holds the full checkout and our signature over it. ``MandateGate.check`` refuses, nothing
  paid, unless, in this order:

  1. the mandate's issuer key is a current *delegator* key of the party that issued the
     session's ACT intent credential (the person's wallet: the same trust as the payment
     provider's for ``POST /ap2/payments``), the SD-JWT and its KB-JWT verify, the KB-JWT is
     for this business (``aud`` our endpoint) and this session (``nonce`` its id) and fresh:
     ``mandate_invalid_signature`` / ``mandate_scope_mismatch`` (``delegation.ap2.ucp_codes``);
  2. it is a ``mandate.checkout.1`` valid for its schema, unexpired, whose ``checkout_hash``
     is its checkout's: ``mandate_expired`` / ``mandate_scope_mismatch``;
  3. the checkout inside carries a valid ``merchant_authorization`` by our key:
     ``merchant_authorization_invalid`` (a total changed after we signed lands here);
  4. that checkout is this session now: the same ``id``, ``currency``, ``line_items`` and
     ``totals`` (``mandate_scope_mismatch``).

  Then complete goes on as before: the ACT checks of the IAC and the payment provider's.

The mandate's signer is found through the IAC, so AP2 at this business needs an IAC too (as
the ``dev.trustcart.act_token`` handler does anyway); without one no key can be resolved and
the mandate is ``mandate_invalid_signature``. With AP2 negotiated the mandate is checked first,
before the payment instrument is read (UCP "Enforce Negotiation").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from trustcart.commerce.checkout_act import read_iac
from trustcart.commerce.ucp.errors import UcpCode, UcpError
from trustcart.crypto.detached_jws import detach, sign_detached, verify_detached
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.keys import PublicKey, SigningKey
from trustcart.delegation.ap2 import sdjwt
from trustcart.delegation.ap2.errors import AP2Unavailable, MandateRefused
from trustcart.delegation.ap2.mandates import CheckoutMandate
from trustcart.delegation.ap2.ucp_codes import ucp_error_code
from trustcart.trust.directory import KeyDirectory, usable_key

AP2_FIELD = "ap2"
TERMS = ("id", "currency", "line_items", "totals")  # what a mandate binds (UCP "Terms Match")


def signed_part(body: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a checkout body that ``merchant_authorization`` covers: all but ``ap2``."""
    return {name: value for name, value in body.items() if name != AP2_FIELD}


def authorize(body: Mapping[str, Any], key: SigningKey) -> dict[str, Any]:
    """``body`` with ``ap2.merchant_authorization`` over the rest of it (module doc)."""
    payload = signed_part(body)
    return {**payload, AP2_FIELD: {"merchant_authorization": sign_detached(payload, key)}}


def presented_mandate(body: Mapping[str, Any]) -> str | None:
    """``ap2.checkout_mandate`` of a complete request (None when absent)."""
    ap2 = body.get(AP2_FIELD)
    if ap2 is None:
        return None
    mandate = ap2.get("checkout_mandate") if isinstance(ap2, Mapping) else None
    if mandate is None:
        return None
    if not isinstance(mandate, str) or not mandate:
        raise UcpError(
            UcpCode.INVALID_REQUEST,
            "ap2.checkout_mandate must be an SD-JWT+KB string",
            path="$.ap2.checkout_mandate",
        )
    return mandate


def _refused(code: UcpCode, content: str) -> UcpError:
    return UcpError(code, content, status=403, path="$.ap2.checkout_mandate")


class MandateGate:
    """Signs our checkout answers and checks the checkout mandates presented at complete."""

    def __init__(
        self,
        directory: KeyDirectory,
        key: SigningKey,
        audience: str,
        now: Callable[[], datetime],
    ) -> None:
        if key.alg != "ES256":
            raise ValueError("AP2 merchant authorizations are ES256 (AP2 v0.2: ECDSA)")
        self._directory = directory
        self._key = key
        self.audience = audience  # our endpoint: the KB-JWT's aud
        self._now = now

    def authorize(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return authorize(body, self._key)

    def _issuer_keys(self, identity: str, now: datetime) -> sdjwt.IssuerKeys:
        def lookup(kid: str) -> PublicKey | None:
            entry = usable_key(self._directory, kid, now, roles=("delegator",))
            return entry.public_key if entry is not None and entry.party_id == identity else None

        return lookup

    def check(self, presentation: str | None, session: Mapping[str, Any], iac: str | None) -> None:
        """Refuse (``UcpError``) unless ``presentation`` authorizes ``session`` as it is now
        (our rendered checkout), signed by the wallet of ``iac``'s delegator (module doc)."""
        if presentation is None:
            raise UcpError(
                UcpCode.MANDATE_REQUIRED,
                "AP2 was negotiated: complete needs ap2.checkout_mandate",
                path="$.ap2.checkout_mandate",
            )
        if iac is None:  # no key can be resolved for the mandate (UCP: "MUST return an error")
            raise _refused(
                UcpCode.MANDATE_INVALID_SIGNATURE,
                "no key can be resolved for the mandate: its signer must be the delegator of "
                "an ACT intent credential (act.iac) bound to the session",
            )
        now = self._now()
        delegator = read_iac(iac, self._directory, now).delegator_identity
        try:
            verified = sdjwt.verify_presentation(
                presentation,
                issuer_key=self._issuer_keys(delegator, now),
                audience=self.audience,
                nonce=str(session["id"]),
                now=now,
            )
            mandate = CheckoutMandate.from_presentation(verified, now)
        except MandateRefused as e:
            raise _refused(UcpCode(ucp_error_code(e.code)), f"{e.code}: {e}") from e
        except AP2Unavailable as e:  # fail closed: no schema, no mandate
            raise UcpError(UcpCode.PAYMENT_UNAVAILABLE, str(e), status=503) from e
        try:
            authorization, checkout = detach(mandate.checkout_jwt)
            verify_detached(authorization, checkout, {self._key.kid: self._key.public})
        except InvalidSignature as e:
            raise _refused(
                UcpCode.MERCHANT_AUTHORIZATION_INVALID,
                "the checkout in the mandate does not carry this business's valid authorization",
            ) from e
        for term in TERMS:
            if checkout.get(term) != session.get(term):
                raise _refused(
                    UcpCode.MANDATE_SCOPE_MISMATCH,
                    f"the mandate's checkout is not this session as it is now ({term})",
                )
