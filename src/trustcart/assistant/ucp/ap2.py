"""UCP's AP2 mandate extension, the platform's side: check the business's authorization.

Our platform profile lists ``dev.ucp.shopping.ap2_mandate``; a business whose profile lists it
too has negotiated it with us, and the session is then "security locked" (UCP
``ap2-mandates``). So, for such a business, every checkout answer the agent relies on (the
quote, and the session read again before paying) must:

* declare the extension in its ``ucp.capabilities`` and carry ``ap2.merchant_authorization``
  (``ucp-merchant-authorization-missing`` otherwise: a business, or anyone between, that
  drops AP2 from a session is not followed into an unprotected checkout);
* have that authorization verify: a detached JWS (``crypto.detached_jws``) over the JCS bytes
  of the answer without ``ap2``, with an ES256 key of the business's profile ``signing_keys``
  named by its ``kid`` (``ucp-merchant-authorization-invalid``: a total changed by anyone
  but the business lands here).

Checked after the figures add up (``pricing``), like the other lies. The checkout mandate the
person's wallet then signs over that exact checkout is ``assistant.ap2_wallet``'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trustcart.assistant.ucp.errors import AnswerRejected, UcpCode
from trustcart.assistant.ucp.profile import BusinessProfile
from trustcart.crypto.detached_jws import verify_detached
from trustcart.crypto.errors import InvalidSignature, KeyFormatError
from trustcart.crypto.keys import PublicKey

AP2_MANDATE = "dev.ucp.shopping.ap2_mandate"


def ap2_expected(business: BusinessProfile) -> bool:
    """Whether ``business`` negotiated the AP2 extension with us (we always list it)."""
    return AP2_MANDATE in business.capabilities


def business_keys(business: BusinessProfile) -> dict[str, PublicKey]:
    """The business's ES256 ``signing_keys`` by ``kid`` (AP2 v0.2 signs with ECDSA)."""
    found: dict[str, PublicKey] = {}
    for jwk in business.signing_keys:
        try:
            key = PublicKey.from_jwk(jwk)
        except KeyFormatError:
            continue
        if key.alg == "ES256" and jwk.get("kid") == key.kid:
            found[key.kid] = key
    return found


def check_authorization(business: BusinessProfile, session: Mapping[str, Any]) -> None:
    """Refuse (``AnswerRejected``) a checkout answer of an AP2 business without a valid
    ``ap2.merchant_authorization`` (module doc); nothing for a business without AP2."""
    if not ap2_expected(business):
        return
    meta = session.get("ucp")
    declared = meta.get("capabilities") if isinstance(meta, Mapping) else None
    ap2 = session.get("ap2")
    authorization = ap2.get("merchant_authorization") if isinstance(ap2, Mapping) else None
    if not isinstance(declared, Mapping) or AP2_MANDATE not in declared or authorization is None:
        raise AnswerRejected(
            UcpCode.MERCHANT_AUTHORIZATION_MISSING,
            f"{business.name} negotiated AP2 mandates but its checkout is not signed",
        )
    signed = {name: value for name, value in session.items() if name != "ap2"}
    try:
        verify_detached(str(authorization), signed, business_keys(business))
    except InvalidSignature as e:
        raise AnswerRejected(
            UcpCode.MERCHANT_AUTHORIZATION_INVALID,
            f"the checkout is not as {business.name} signed it (merchant_authorization)",
        ) from e
