"""The shopper's own records: what they signed and what their agent paid, kept and reported.

Two kinds of record go to the person's ``Memory`` (``assistant.memory``), as explicit JSON:

    delegation   an IAC the person signed: the ISR it came from, the IAC and the bound payment
                 token (so a standing order outlives the session, and can be listed or revoked)
    purchase     an order the agent paid: ISR, IAC, the merchant-signed cart, the person's
                 approval (L1), the PSP-signed receipt and credential status, the line chosen

Tokens are kept as the signed compact JWS they were verified as; their payloads are read back
from the tokens themselves (``peek_payload``), so a record cannot say something its signed
parts do not. (They were verified when the agent received them; ``trustcart verify`` checks
the evidence bundle made from a record again, offline.)

Reports (``order_report``, ``delegation_report``) are the JSON shapes of ``trustcart orders
--json`` and ``trustcart delegations --json`` (see the README). What a delegation has spent is
what the payment provider signed in its latest receipt under it, never a local counter.
``ShopperRecords`` adds what only the other parties know: the merchant's order status and the
status service's credential status. For an order from a UCP business, the status is the one of
the latest order webhook that business sent us (``ucp.order_events``, e.g. ``fulfilled``), and
the merchant is asked only while it has sent none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from trustcart.assistant.agent_answers import PurchaseRefused
from trustcart.assistant.errors import ToolRefused
from trustcart.assistant.memory import RecordKind
from trustcart.assistant.offers import ConfirmedCart, Offer, Receipt
from trustcart.assistant.proposals import Delegation, Purchase
from trustcart.assistant.standing_report import recurrence_report
from trustcart.assistant.ucp.order_events import latest_statuses
from trustcart.core.clock import format_instant
from trustcart.core.errors import ValidationError
from trustcart.core.money import Money
from trustcart.core.payment import PaymentMode
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.jws import peek_payload
from trustcart.delegation.constraints import SpendSoFar
from trustcart.delegation.errors import InvalidCredential
from trustcart.delegation.iac import parse_iac_payload
from trustcart.delegation.isr import ISR

if TYPE_CHECKING:
    from trustcart.assistant.memory import Memory
    from trustcart.assistant.tools import ShoppingTools

UNKNOWN = "unknown"  # a status nobody could tell us (the service did not answer)
_READ_ERRORS = (KeyError, TypeError, ValueError, ValidationError, InvalidCredential)


class RecordError(ValidationError):
    """A stored record cannot be read back."""


# -- records ----------------------------------------------------------------------------------


def delegation_record(delegation: Delegation) -> dict[str, Any]:
    return {
        "delegation_id": delegation.iac.delegation_id,
        "isr": delegation.isr.to_json(),
        "iac": delegation.iac.token,
        "payment_token": delegation.payment_token,
    }


def purchase_record(purchase: Purchase) -> dict[str, Any]:
    return {
        "out_trade_no": purchase.cart.out_trade_no,
        "proposal_id": purchase.proposal_id,
        "delegation_id": purchase.iac.delegation_id,
        "mode": purchase.mode.value,
        "isr": purchase.isr.to_json(),
        "iac": purchase.iac.token,
        "cart": purchase.cart.token,
        "approval": purchase.approval,
        "receipt": purchase.receipt.token,
        "trade_no": purchase.receipt.trade_no,
        "credential_status": purchase.receipt.credential_status,
        "line": None if purchase.line is None else purchase.line.to_record(),
    }


def _iac(token: str) -> Any:
    return parse_iac_payload(peek_payload(token), token)


def spent_by(delegation_id: str, purchases: Sequence[Purchase], currency: str) -> SpendSoFar:
    """What the PSP's latest signed receipt under ``delegation_id`` says was spent (or zero)."""
    budgets = [
        p.receipt.budget
        for p in purchases
        if p.iac.delegation_id == delegation_id and p.receipt.budget is not None
    ]
    if not budgets:
        return SpendSoFar.zero(currency)
    latest = max(budgets, key=lambda b: b.count)
    return SpendSoFar(latest.spent, latest.count, latest.quantity)


def read_purchase(record: Mapping[str, Any]) -> Purchase:
    try:
        cart_token, receipt_token = str(record["cart"]), str(record["receipt"])
        line = record.get("line")
        return Purchase(
            proposal_id=str(record["proposal_id"]),
            isr=ISR.from_json(record["isr"]),
            iac=_iac(str(record["iac"])),
            mode=PaymentMode(record["mode"]),
            cart=ConfirmedCart.from_verified(cart_token, peek_payload(cart_token)),
            approval=None if record.get("approval") is None else str(record["approval"]),
            receipt=Receipt.from_verified(
                receipt_token,
                peek_payload(receipt_token),
                trade_no=str(record["trade_no"]),
                credential_status=str(record["credential_status"]),
            ),
            line=None if line is None else Offer.from_record(line),
        )
    except (*_READ_ERRORS, InvalidSignature) as e:
        raise RecordError(f"a purchase record cannot be read: {e}") from e


def read_delegation(record: Mapping[str, Any], purchases: Sequence[Purchase]) -> Delegation:
    try:
        iac = _iac(str(record["iac"]))
        isr = ISR.from_json(record["isr"])
        spent = spent_by(iac.delegation_id, purchases, iac.currency)
        return Delegation(isr, iac, str(record["payment_token"]), spent)
    except (*_READ_ERRORS, InvalidSignature) as e:
        raise RecordError(f"a delegation record cannot be read: {e}") from e


def load_records(memory: Memory) -> tuple[list[Delegation], list[Purchase]]:
    """Every delegation and purchase the memory holds, oldest first."""
    purchases = [read_purchase(r) for r in memory.records(RecordKind.PURCHASE)]
    delegations = [read_delegation(r, purchases) for r in memory.records(RecordKind.DELEGATION)]
    return delegations, purchases


# -- reports ----------------------------------------------------------------------------------


def order_report(purchase: Purchase, status: str, language: str = "en") -> dict[str, Any]:
    """One order as ``trustcart orders --json`` prints it."""
    line = purchase.line
    items = [
        {
            "product_id": cart_line.product_id,
            "title": line.title_in(language)
            if line is not None and line.product_id == cart_line.product_id
            else cart_line.product_id,
            "quantity": cart_line.quantity,
            "unit_price": cart_line.unit_price.to_json(),
        }
        for cart_line in purchase.cart.lines
    ]
    return {
        "order_id": purchase.cart.out_trade_no,
        "trade_no": purchase.receipt.trade_no,
        "merchant_id": purchase.cart.merchant_id,
        "merchant_name": line.merchant_name if line is not None else purchase.cart.merchant_id,
        "items": items,
        "amount": purchase.receipt.amount.to_json(),
        "mode": purchase.mode.value,
        "status": status,
        "paid_at": str(purchase.receipt.payload.get("paid_at", "")),
        "delegation_id": purchase.iac.delegation_id,
    }


def delegation_report(
    delegation: Delegation,
    purchases: Sequence[Purchase],
    status: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """One credential as ``trustcart delegations --json`` prints it (``recurrence``: a standing
    order's period figures at ``now``, ``standing_report``; null for one-off credentials)."""
    iac = delegation.iac
    mine = [p for p in purchases if p.iac.delegation_id == iac.delegation_id]
    spent = spent_by(iac.delegation_id, mine, iac.currency)
    latest = max(
        (p for p in mine if p.receipt.budget is not None),
        key=lambda p: p.receipt.budget.count if p.receipt.budget else 0,
        default=None,
    )
    remaining = iac.max_total - spent.total if spent.total <= iac.max_total else None
    budget = None if latest is None else latest.receipt.payload.get("budget")
    if isinstance(budget, Mapping) and "remaining" in budget:
        remaining = Money.from_json(budget["remaining"])  # the PSP's own figure, signed
    commerce = iac.commerce
    return {
        "delegation_id": iac.delegation_id,
        "mode": iac.delegation_mode.value,
        "intent": delegation.isr.user_intent_raw,
        "limits": {
            "max_total": iac.max_total.to_json(),
            "max_single": None if commerce.max_single is None else commerce.max_single.to_json(),
            "max_total_quantity": commerce.max_total_quantity,
            "allowed_merchants": list(commerce.allowed_merchants),
            "forbidden_merchants": list(commerce.forbidden_merchants),
            "allowed_categories": list(commerce.allowed_categories),
        },
        "spent": spent.total.to_json(),
        "remaining": None if remaining is None else remaining.to_json(),
        "purchases": spent.count,
        "budget_from": None if latest is None else latest.receipt.trade_no,
        "status": status,
        "valid_from": format_instant(iac.validity_start),
        "valid_until": format_instant(iac.validity_end),
        "recurrence": None if now is None else recurrence_report(delegation, purchases, now),
    }


class ShopperRecords:
    """The person's orders and credentials, with the merchants' and status service's word."""

    def __init__(self, tools: ShoppingTools) -> None:
        self.tools = tools

    def purchases(self) -> list[Purchase]:
        return [read_purchase(r) for r in self.tools.memory.records(RecordKind.PURCHASE)]

    def purchase(self, order_id: str) -> Purchase | None:
        """The purchase of an order number (or of the PSP's trade number)."""
        return next(
            (p for p in self.purchases() if order_id in (p.cart.out_trade_no, p.receipt.trade_no)),
            None,
        )

    def order_status(
        self, purchase: Purchase, told: Mapping[tuple[str, str], str] | None = None
    ) -> str:
        """The order's status: what its UCP business last told us (``told``, from
        ``latest_statuses``), else the merchant's answer."""
        line = purchase.line
        if line is not None and line.business:
            if told is None:
                told = latest_statuses(self.tools.memory)
            status = told.get((line.business, purchase.cart.out_trade_no))
            if status is not None:
                return status
        try:
            return str(self.tools.order_status(purchase.cart.out_trade_no).get("status", UNKNOWN))
        except ToolRefused:  # a listing shows "unknown", it never fails
            return UNKNOWN

    def orders(self, language: str = "en") -> list[dict[str, Any]]:
        """Every order the person's agent paid, newest last."""
        told = latest_statuses(self.tools.memory)
        return [order_report(p, self.order_status(p, told), language) for p in self.purchases()]

    def credential_status(self, delegation: Delegation) -> str:
        """The status service's signed answer (Active, Suspended, Revoked, Expired)."""
        try:
            self.tools.agent.check_status(delegation.iac)
        except PurchaseRefused as refusal:
            if refusal.code.startswith("iac-"):
                return refusal.code.removeprefix("iac-").replace("-", " ").capitalize()
            return UNKNOWN
        return "Active"

    def delegations(self) -> list[dict[str, Any]]:
        """Every credential the person signed, oldest first."""
        purchases = self.purchases()
        return [
            delegation_report(d, purchases, self.credential_status(d), self.tools.clock.now())
            for d in self.tools.all_delegations()
        ]

    def active_standing(self, prefer: str | None = None) -> Delegation | None:
        """The standing order (BOUNDED) to revoke: ``prefer`` if active, else the newest active."""
        standing = [
            d
            for d in reversed(self.tools.all_delegations())
            if d.iac.delegation_mode.value == "BOUNDED"
        ]
        standing.sort(key=lambda d: d.iac.delegation_id != prefer)  # stable: newest first
        return next((d for d in standing if self.credential_status(d) == "Active"), None)
