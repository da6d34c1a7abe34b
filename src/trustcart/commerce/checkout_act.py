"""ACT on top of a protocol checkout: the checks a session bound to an IAC must pass at complete.

An agent platform may present an ACT intent credential (IAC) with its ACP (or UCP) checkout.
The session then binds to that credential, and completing it is refused unless, checked in this
order, each refusal ``CheckoutRefused`` with code ``iac-refused`` and a stable ``reason``:

1. ``iac-invalid``: the IAC verifies with a key the directory holds for a *delegator*, issued by
   that very party (opaque: which part failed goes to the log, not to the caller);
2. ``agent-mismatch``: it delegates to the agent the platform is registered for;
3. ``iac-not-yet-valid`` / ``iac-expired``: now is within its validity window;
4. ``status-unavailable`` / ``iac-suspended`` / ``iac-revoked`` / ``iac-expired``: the status
   service says Active now, freshly (fail closed: no answer is a refusal);
5. a ``delegation.constraints`` reason (``over-single-limit``, ``merchant-not-allowed``,
   ``category-not-allowed``, ``payment-method-not-allowed``, ...): the priced cart passes the
   IAC's constraints. The cumulative budget is the payment provider's to enforce (it holds the
   spend); here the cart is judged on its own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from trustcart.commerce.checkout_quote import CheckoutQuote
from trustcart.commerce.errors import CheckoutRefused, CommerceProblem
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.jws import peek_header
from trustcart.delegation.constraints import PurchaseFacts, SpendSoFar, evaluate_purchase
from trustcart.delegation.errors import InvalidCredential, StatusUnavailable
from trustcart.delegation.iac import IAC, verify_iac
from trustcart.delegation.lifecycle import CredentialStatus
from trustcart.delegation.status import StatusAttestation, StatusChecker
from trustcart.trust.directory import KeyDirectory, usable_key

log = logging.getLogger(__name__)

_STATUS_REASON = {
    CredentialStatus.SUSPENDED: "iac-suspended",
    CredentialStatus.REVOKED: "iac-revoked",
    CredentialStatus.EXPIRED: "iac-expired",
}


def _refuse(reason: str, detail: str, status: int = 403) -> CheckoutRefused:
    return CheckoutRefused(CommerceProblem.IAC_REFUSED, detail, status=status, reason=reason)


def read_iac(token: str, directory: KeyDirectory, now: datetime) -> IAC:
    """Verify the IAC's signature with a current delegator key of the party that issued it."""
    try:
        kid = peek_header(token).get("kid")
        entry = (
            usable_key(directory, kid, now, roles=("delegator",)) if isinstance(kid, str) else None
        )
        if entry is None:
            raise InvalidSignature
        iac = verify_iac(token, {entry.kid: entry.public_key})
        if iac.delegator_identity != entry.party_id:
            raise InvalidSignature
    except (InvalidSignature, InvalidCredential, ValueError) as e:
        log.info("IAC refused at checkout: %s", type(e).__name__)
        raise _refuse("iac-invalid", "the intent credential does not verify") from e
    return iac


@dataclass(frozen=True)
class ActCheck:
    """What the checks relied on: the credential and its signed status."""

    iac: IAC
    status: StatusAttestation


class ActGate:
    """The merchant's ACT checks of a checkout session bound to an IAC."""

    def __init__(self, directory: KeyDirectory, status: StatusChecker) -> None:
        self._directory = directory
        self._status = status

    def check(
        self,
        token: str,
        quote: CheckoutQuote,
        *,
        merchant_id: str,
        agent_id: str | None,
        payment_method: str,
        now: datetime,
    ) -> ActCheck:
        """Run checks 1-5 of the module doc; return what they relied on."""
        iac = read_iac(token, self._directory, now)
        if agent_id is None or iac.agent_id != agent_id:
            raise _refuse("agent-mismatch", "the credential delegates to another agent")
        if now < iac.validity_start:
            raise _refuse("iac-not-yet-valid", "the credential is not valid yet")
        if now >= iac.validity_end:
            raise _refuse("iac-expired", "the credential has expired")
        try:
            status = self._status.check(iac, now)
        except StatusUnavailable as e:
            raise _refuse("status-unavailable", "credential status unavailable", 503) from e
        if status.delegation_id != iac.delegation_id or not status.fresh_at(now):
            raise _refuse("status-unavailable", "no fresh status for this credential", 503)
        if status.status is not CredentialStatus.ACTIVE:
            reason = _STATUS_REASON.get(status.status, "status-unavailable")
            raise _refuse(reason, f"the credential is {status.status.value}")
        facts = PurchaseFacts(
            merchant_id=merchant_id,
            categories=tuple(dict.fromkeys(line.product.category for line in quote.lines)),
            amount=quote.total,
            quantity=sum(line.quantity for line in quote.lines),
            payment_method=payment_method,
            at=now,
        )
        result = evaluate_purchase(iac, facts, SpendSoFar.zero(iac.currency))
        if not result.allowed:
            raise CheckoutRefused(
                CommerceProblem.IAC_REFUSED,
                result.explain(),
                status=403,
                reason=str(result.reasons[0]),
                reasons=[str(r) for r in result.reasons],
            )
        return ActCheck(iac, status)
