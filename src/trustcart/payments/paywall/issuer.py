"""The PSP side of A402: a signed payment credential for a payment the PSP really made.

After an ordinary payment (``POST /payments``, L1 or L2, all the PSP's checks, one ledger
entry), the paying agent asks for the A402 credential of that trade with the cart it paid. The
PSP issues one only if:

1. the trade exists, succeeded, and was paid by this agent;
2. the cart's JCS digest is the ``cart_digest`` stored with the payment (so it is the very
   merchant-signed cart that was checked and paid, whoever presents it now);
3. the cart is an A402 cart: one line whose ``product_id`` is the cart's ``a402.resource_id``.

The credential's facts (order, resource, amount, seller, buyer, request, paid_at) all come from
the PSP's own record and that paid cart, never from the request. It writes nothing: asking
twice gives an equivalent credential, and the seller's replay store delivers at most once per
``trade_no``. The signing key is the PSP's receipt key (one key, one ``jwks``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from trustcart.core.clock import Clock
from trustcart.core.errors import ValidationError
from trustcart.core.money import Money
from trustcart.core.payment import PaymentStatus
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.jcs import jcs_digest
from trustcart.crypto.jws import peek_payload
from trustcart.crypto.keys import SigningKey
from trustcart.payments.a402.credential import PaymentCredential, issue_credential
from trustcart.payments.a402.fields import wire_instant
from trustcart.payments.errors import PaymentProblem, PaymentRefused
from trustcart.store.db import Database
from trustcart.store.payments import PaymentRow

CREDENTIAL_LIFETIME = timedelta(minutes=10)


def _unknown() -> PaymentRefused:
    return PaymentRefused(PaymentProblem.UNKNOWN_PAYMENT, "no such payment of yours")


class A402CredentialIssuer:
    """Issues ``payment_proof`` credentials for the PSP's own successful payments."""

    def __init__(
        self,
        db: Database,
        *,
        signing_key: SigningKey,
        clock: Clock,
        lifetime: timedelta = CREDENTIAL_LIFETIME,
    ) -> None:
        self._db = db
        self._key = signing_key
        self._clock = clock
        self._lifetime = lifetime

    def issue(self, *, agent_id: str, trade_no: str, cart: str) -> dict[str, Any]:
        """``{"trade_no", "payment_proof", "expires_at"}`` or ``PaymentRefused``."""
        with self._db.transaction() as session:
            row = session.get(PaymentRow, trade_no)
            if row is None or row.agent_id != agent_id:
                raise _unknown()
            facts = (row.status, row.cart_digest, row.out_trade_no, row.merchant_id, row.paid_at)
            amount = Money(row.amount_minor, row.currency)
        status, cart_digest, out_trade_no, merchant_id, paid_at = facts
        if status != PaymentStatus.SUCCESS.value:
            raise PaymentRefused(PaymentProblem.REQUEST_INVALID, "the payment did not succeed")
        try:
            payload = peek_payload(cart)
        except InvalidSignature as e:
            raise PaymentRefused(PaymentProblem.CART_INVALID, "the cart is not a JWS") from e
        if jcs_digest(payload) != cart_digest:
            raise PaymentRefused(PaymentProblem.CART_INVALID, "this is not the cart paid")
        a402 = payload.get("a402")
        items = payload.get("items")
        if (
            not isinstance(a402, dict)
            or not isinstance(items, list)
            or len(items) != 1
            or not isinstance(items[0], dict)
            or items[0].get("product_id") != a402.get("resource_id")
        ):
            raise PaymentRefused(PaymentProblem.CART_INVALID, "the cart is not a paid call")
        try:
            credential = PaymentCredential(
                trade_no=trade_no,
                out_trade_no=out_trade_no,
                resource_id=a402["resource_id"],
                amount=amount,
                seller_id=merchant_id,
                buyer_id=agent_id,
                method_id=a402["method_id"],
                request_fingerprint=a402["request_fingerprint"],
                paid_at=paid_at,
                expires_at=paid_at + self._lifetime,
            )
        except (ValidationError, KeyError) as e:
            raise PaymentRefused(PaymentProblem.CART_INVALID, f"the cart's a402: {e}") from e
        return {
            "trade_no": trade_no,
            "payment_proof": issue_credential(credential, self._key),
            "expires_at": wire_instant(credential.expires_at),
        }
