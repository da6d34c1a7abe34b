"""Binding a restricted payment token to an agent (PSD-PMT-BND).

The delegator starts the binding: they sign (with the key registered for their account) a
request ``{account_id, agent_id, iac, requested_at}`` (``typ: act-payment-binding+jwt``). The
PSP verifies that signature, then the IAC (same delegator, same agent, same currency, in its
window, Active now), and only then issues a token bound to (account, agent, delegation) and to
the IAC's limits. Any failure raises ``PaymentRefused`` and issues nothing. One signed request
yields at most one token, so a copied request cannot mint a second one.

The token value is returned once and never stored; the answer names no account.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from trustcart.core.clock import format_instant
from trustcart.core.ids import RandomBytes, new_id
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.jcs import jcs_digest
from trustcart.crypto.jws import peek_payload
from trustcart.delegation.iac import IAC
from trustcart.payments import budget, checks, tokens
from trustcart.payments.accounts import get_account
from trustcart.payments.errors import PaymentProblem, PaymentRefused
from trustcart.store.db import Database

_P = PaymentProblem


@dataclass(frozen=True)
class BindingResult:
    """Returned once to the delegator: the token value is never stored or shown again."""

    payment_token: str
    token_id: str
    agent_id: str
    delegation_id: str
    expires_at: datetime

    def to_json(self) -> dict[str, str]:
        return {
            "payment_token": self.payment_token,
            "token_id": self.token_id,
            "agent_id": self.agent_id,
            "delegation_id": self.delegation_id,
            "expires_at": format_instant(self.expires_at),
        }


def bind_token(
    db: Database,
    binding_request: str,
    *,
    now: datetime,
    check_status: Callable[[IAC, datetime], object],
    random_bytes: RandomBytes,
) -> BindingResult:
    """Verify the delegator's binding request and issue a token, or raise PaymentRefused."""
    try:
        claimed_account = peek_payload(binding_request).get("account_id")
    except InvalidSignature as e:
        raise PaymentRefused(_P.BINDING_REFUSED, "the binding request is malformed") from e
    with db.transaction() as session:
        account = (
            get_account(session, claimed_account) if isinstance(claimed_account, str) else None
        )
    if account is None:
        # Same answer as a bad signature: do not reveal which accounts exist.
        raise PaymentRefused(_P.BINDING_REFUSED, "the binding request does not verify")
    request = checks.verify_binding_request(
        binding_request, account.delegator_key, account.account_id, now
    )
    iac = checks.verify_delegation_credential(
        request.iac_token, account.delegator_key, account.delegator_identity
    )
    if iac.agent_id != request.agent_id:
        raise PaymentRefused(_P.BINDING_REFUSED, "the IAC delegates to another agent")
    if iac.currency != account.currency:
        raise PaymentRefused(_P.CURRENCY_MISMATCH, "the IAC is in another currency")
    checks.check_window(iac, now)
    check_status(iac, now)
    value = tokens.new_token_value(random_bytes)
    binding = tokens.PaymentToken(
        token_id=new_id("ptkid", random_bytes),
        account_id=account.account_id,
        agent_id=iac.agent_id,
        delegation_id=iac.delegation_id,
        iac_digest=jcs_digest(iac.payload()),
        max_total=iac.max_total,
        max_single=iac.commerce.max_single,
        created_at=now,
        expires_at=iac.validity_end,
        revoked_at=None,
    )
    try:
        with db.transaction() as session:
            if tokens.binding_digest_used(session, request.digest):
                raise PaymentRefused(_P.BINDING_REFUSED, "this binding request was used")
            tokens.store_token(
                session,
                token_id=binding.token_id,
                value=value,
                binding=binding,
                binding_digest=request.digest,
            )
            budget.ensure_budget(session, iac.delegation_id, iac.currency, now)
    except IntegrityError as e:  # a concurrent replay of the same binding request
        raise PaymentRefused(_P.BINDING_REFUSED, "this binding request was used") from e
    return BindingResult(
        value, binding.token_id, binding.agent_id, binding.delegation_id, binding.expires_at
    )
