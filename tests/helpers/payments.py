"""Builders for the payment tests: a PSP with a funded account, signed carts and approvals.

Everything is real except the status service (an in-process checker that signs real status
attestations and can be switched to Suspended, Revoked, down or stale) and the merchant
notifier (``RecordingNotifier``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from tests.helpers.delegation import alice_key, make_isr
from trustcart.core.clock import FixedClock, format_instant
from trustcart.core.money import Money
from trustcart.core.typs import APPROVAL_TYP, BINDING_TYP, CART_TYP
from trustcart.crypto.jcs import jcs_digest
from trustcart.crypto.jws import peek_payload, sign_compact
from trustcart.crypto.keys import SigningKey
from trustcart.delegation.errors import StatusUnavailable
from trustcart.delegation.iac import IAC, issue_iac
from trustcart.delegation.lifecycle import CredentialStatus
from trustcart.delegation.status import StatusAttestation, sign_status
from trustcart.payments import ledger_store
from trustcart.payments.notices import RecordingNotifier
from trustcart.payments.provider import PaymentProvider
from trustcart.store.db import Database
from trustcart.store.payments import DelegationBudgetRow, PaymentRow, PaymentTokenRow
from trustcart.trust.directory import InMemoryKeyDirectory

AGENT = "agent:trustcart-assistant"
MERCHANT = "m_teahouse"
PSP_ID = "psp:trustcart"
ACCOUNT = "acc_alice"


class FakeStatusChecker:
    """Signs real attestations with a status key; ``status``/``down``/``stale`` are switches."""

    def __init__(self) -> None:
        self.key = SigningKey.generate()
        self.status: dict[str, CredentialStatus] = {}
        self.down = False
        self.stale = False
        self.calls = 0
        self._lock = threading.Lock()

    def check(self, iac: IAC, now: datetime) -> StatusAttestation:
        with self._lock:
            self.calls += 1
        if self.down:
            raise StatusUnavailable("status service unreachable")
        checked = now - timedelta(seconds=120) if self.stale else now
        return sign_status(
            iac.delegation_id,
            self.status.get(iac.delegation_id, CredentialStatus.ACTIVE),
            key=self.key,
            now=checked,
        )


def make_iac(
    now: datetime,
    *,
    delegation_id: str = "dlg_test1",
    key: SigningKey | None = None,
    **isr_overrides: object,
) -> IAC:
    return issue_iac(
        make_isr(now, **isr_overrides),
        delegation_id=delegation_id,
        delegator_identity="user:alice",
        delegator_key=key or alice_key(),
        status_url=f"http://status.test/delegations/{delegation_id}/status",
        now=now,
    )


def sign_cart(
    key: SigningKey,
    now: datetime,
    *,
    out_trade_no: str = "ord_1",
    merchant_id: str = MERCHANT,
    unit_price: str = "18.00",
    quantity: int = 1,
    category: str = "drinks/milk-tea",
    delegation_id: str = "dlg_test1",
    agent_id: str = AGENT,
    psp_id: str = PSP_ID,
    method_id: str = "trustcart-balance",
    lock_minutes: int = 15,
    **overrides: Any,
) -> str:
    unit = Money.parse(unit_price, "CNY")
    line = unit * quantity
    payload: dict[str, Any] = {
        "out_trade_no": out_trade_no,
        "merchant_id": merchant_id,
        "merchant_name": "Tea House",
        "items": [
            {
                "product_id": "p_pearl",
                "title": "Pearl milk tea",
                "category": category,
                "quantity": quantity,
                "unit_price": unit.to_json(),
                "line_total": line.to_json(),
            }
        ],
        "subtotal": line.to_json(),
        "discount": Money.zero("CNY").to_json(),
        "shipping": Money.zero("CNY").to_json(),
        "total": line.to_json(),
        "coupons": [],
        "intent_id": "int_test1",
        "delegation_id": delegation_id,
        "agent_id": agent_id,
        "payment": {
            "method_id": method_id,
            "psp_id": psp_id,
            "endpoint": "http://psp.test/payments",
        },
        "confirmed_at": format_instant(now),
        "price_locked_until": format_instant(now + timedelta(minutes=lock_minutes)),
    }
    payload.update(overrides)
    return sign_compact(payload, key, typ=CART_TYP)


def sign_approval(key: SigningKey, cart: str, now: datetime, **overrides: Any) -> str:
    payload = peek_payload(cart)
    approval: dict[str, Any] = {
        "out_trade_no": payload["out_trade_no"],
        "merchant_id": payload["merchant_id"],
        "cart_digest": jcs_digest(payload),
        "amount": payload["total"],
        "delegation_id": payload["delegation_id"],
        "agent_id": payload["agent_id"],
        "approved_at": format_instant(now),
    }
    approval.update(overrides)
    return sign_compact(approval, key, typ=APPROVAL_TYP)


def sign_binding(
    key: SigningKey, iac: IAC, now: datetime, *, account_id: str = ACCOUNT, agent_id: str = AGENT
) -> str:
    return sign_compact(
        {
            "account_id": account_id,
            "agent_id": agent_id,
            "iac": iac.token,
            "requested_at": format_instant(now),
        },
        key,
        typ=BINDING_TYP,
    )


@dataclass
class World:
    db: Database
    clock: FixedClock
    provider: PaymentProvider
    status: FakeStatusChecker
    notifier: RecordingNotifier
    directory: InMemoryKeyDirectory
    alice: SigningKey
    merchant_key: SigningKey
    psp_key: SigningKey
    iac: IAC
    token: str = ""
    _orders: int = field(default=0)

    @property
    def now(self) -> datetime:
        return self.clock.now()

    def bind(self, iac: IAC | None = None) -> str:
        return self.provider.bind(sign_binding(self.alice, iac or self.iac, self.now)).payment_token

    def cart(self, **kwargs: Any) -> str:
        if "out_trade_no" not in kwargs:
            self._orders += 1
            kwargs["out_trade_no"] = f"ord_{self._orders}"
        return sign_cart(self.merchant_key, self.now, **kwargs)

    def request(
        self,
        cart: str | None = None,
        *,
        mode: str = "L2",
        approval: str | None = None,
        iac: IAC | str | None = None,
        token: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        iac_token = iac if isinstance(iac, str) else (iac or self.iac).token
        body: dict[str, Any] = {
            "mode": mode,
            "payment_token": token or self.token,
            "iac": iac_token,
            "cart": cart or self.cart(),
            "request_id": f"req_{self._orders}",
        }
        if approval is not None:
            body["approval"] = approval
        body.update(extra)
        return body

    def pay(self, body: dict[str, Any], *, key: str | None = None, agent_id: str = AGENT) -> Any:
        self._orders += 1
        return self.provider.submit_payment(
            agent_id=agent_id, idempotency_key=key or f"idem_{self._orders}", request=body
        )

    def snapshot(self) -> tuple[Any, ...]:
        """Everything a refusal must leave untouched."""
        with self.db.transaction() as session:
            budgets = session.execute(
                select(
                    DelegationBudgetRow.delegation_id,
                    DelegationBudgetRow.spent_minor,
                    DelegationBudgetRow.payment_count,
                    DelegationBudgetRow.quantity,
                )
            ).all()
            return (
                ledger_store.entry_count(session),
                ledger_store.posting_count(session),
                ledger_store.account_balance(session, f"wallet:{ACCOUNT}", "CNY"),
                ledger_store.account_balance(session, f"merchant:{MERCHANT}", "CNY"),
                session.execute(select(func.count()).select_from(PaymentRow)).scalar_one(),
                sorted(budgets),
            )

    def token_count(self) -> int:
        with self.db.transaction() as session:
            return int(
                session.execute(select(func.count()).select_from(PaymentTokenRow)).scalar_one()
            )


def make_world(
    db: Database, clock: FixedClock, *, balance: str = "200.00", **isr_overrides: Any
) -> World:
    directory = InMemoryKeyDirectory()
    merchant_key, psp_key, alice = SigningKey.generate(), SigningKey.generate(), alice_key()
    directory.register(merchant_key.public, party_id=MERCHANT, role="merchant")
    directory.register(psp_key.public, party_id=PSP_ID, role="psp")
    status, notifier = FakeStatusChecker(), RecordingNotifier()
    provider = PaymentProvider(
        db,
        psp_id=PSP_ID,
        signing_key=psp_key,
        directory=directory,
        status_checker=status,
        notifier=notifier,
        clock=clock,
    )
    provider.open_account(ACCOUNT, "user:alice", alice.public, Money.parse(balance, "CNY"))
    world = World(
        db=db,
        clock=clock,
        provider=provider,
        status=status,
        notifier=notifier,
        directory=directory,
        alice=alice,
        merchant_key=merchant_key,
        psp_key=psp_key,
        iac=make_iac(clock.now(), **isr_overrides),
    )
    world.token = world.bind()
    return world
