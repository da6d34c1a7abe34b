"""The purchase of tests/helpers/bundles (ord_1 paid by tr_1, 19.00 CNY at m_tea) in a store.

Rows a real purchase leaves: the merchant, its product (delivery in 5 minutes, so the promise
is the cart's confirmation at T0+3 min plus 5 = T0+8 min), the order, Alice's PSP account
funded with 100.00, her payment token and the payment with its ledger entry. A
``DisputeService`` over it reads the helper's bundles against the helper's anchors.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from tests.helpers.bundles import ANCHORS, IDS, KEYS
from tests.helpers.clock import T0
from trustcart.core.clock import FixedClock, format_instant
from trustcart.core.money import Money
from trustcart.disputes.service import DisputeService
from trustcart.payments import ledger, ledger_store
from trustcart.store.commerce import MerchantRow, OrderItemRow, OrderRow, ProductRow
from trustcart.store.db import Database
from trustcart.store.payments import PaymentRow, PaymentTokenRow, PspAccount

ORDER, TRADE, ACCOUNT = "ord_1", "tr_1", "acc_alice"
MERCHANT, ALICE = IDS["merchant"], IDS["delegator"]
PROMISE = T0 + timedelta(minutes=8)


def seed_purchase(db: Database) -> None:
    at = T0 + timedelta(minutes=4, seconds=30)
    with db.transaction() as s:
        s.add(
            MerchantRow(
                merchant_id=MERCHANT,
                name="Tea House",
                lat="31.2",
                lon="121.4",
                delivery_radius_km="5",
                categories=["drinks/milk-tea"],
                currency="CNY",
                delivery_fee_minor=300,
            )
        )
        s.add(
            ProductRow(
                product_id="p_1",
                merchant_id=MERCHANT,
                title="Pearl milk tea",
                title_zh="珍珠奶茶",
                brand="Tea House",
                category="drinks/milk-tea",
                price_minor=900,
                currency="CNY",
                stock=10,
                delivery_minutes=5,
                attributes={},
                gtin=None,
                group_id=None,
                image_url=None,
                price_valid_until=None,
                search_text="pearl milk tea",
            )
        )
        s.flush()
        s.add(
            OrderRow(
                out_trade_no=ORDER,
                merchant_id=MERCHANT,
                agent_id=IDS["agent"],
                intent_id="int_1",
                delegation_id="dlg_1",
                status="FULFILLED",
                currency="CNY",
                subtotal_minor=1800,
                discount_minor=200,
                shipping_minor=300,
                total_minor=1900,
                payment_method_id="trustcart-balance",
                cart_jws="",
                cart_digest="",
                confirmed_at=format_instant(T0 + timedelta(minutes=3)),
                price_locked_until=format_instant(T0 + timedelta(minutes=13)),
                trade_no=TRADE,
                paid_at=format_instant(at),
                updated_at=format_instant(at),
            )
        )
        s.flush()
        s.add(
            OrderItemRow(
                out_trade_no=ORDER,
                line_no=1,
                product_id="p_1",
                quantity=2,
                unit_price_minor=900,
                currency="CNY",
            )
        )
        s.add(
            PspAccount(
                account_id=ACCOUNT,
                delegator_identity=ALICE,
                public_jwk=json.dumps(KEYS["delegator"].public.to_jwk()),
                kid=KEYS["delegator"].kid,
                currency="CNY",
                created_at=T0,
            )
        )
        s.flush()
        ledger_store.post_entry(
            s,
            ledger.funding_entry(
                "je_fund", wallet=ACCOUNT, amount=Money(10000, "CNY"), reference="top-up"
            ),
            at=T0,
        )
        s.add(
            PaymentTokenRow(
                token_id="tok_1",
                token_hash="0" * 64,
                account_id=ACCOUNT,
                agent_id=IDS["agent"],
                delegation_id="dlg_1",
                iac_digest="sha-256:x",
                currency="CNY",
                max_total_minor=8000,
                max_single_minor=3000,
                binding_digest="sha-256:binding",
                created_at=T0,
                expires_at=T0 + timedelta(hours=1),
            )
        )
        ledger_store.post_entry(
            s,
            ledger.payment_entry(
                "je_pay",
                wallet=ACCOUNT,
                merchant=MERCHANT,
                amount=Money(1900, "CNY"),
                reference=TRADE,
            ),
            at=at,
        )
        s.add(
            PaymentRow(
                trade_no=TRADE,
                merchant_id=MERCHANT,
                out_trade_no=ORDER,
                account_id=ACCOUNT,
                agent_id=IDS["agent"],
                delegation_id="dlg_1",
                token_id="tok_1",
                mode="L1",
                amount_minor=1900,
                refunded_minor=0,
                currency="CNY",
                quantity=2,
                cart_digest="",
                status="SUCCESS",
                receipt="",
                entry_id="je_pay",
                paid_at=at,
            )
        )


class FixedEvidence:
    """An evidence source that hands over one bundle (or none), counting the requests."""

    def __init__(self, bundle: Mapping[str, Any] | None) -> None:
        self.bundle = bundle
        self.asked = 0

    def gather(self, out_trade_no: str, payer: str) -> Mapping[str, Any] | None:
        self.asked += 1
        return self.bundle if (out_trade_no, payer) == (ORDER, ALICE) else None


def dispute_service(
    db: Database, clock: FixedClock, bundle: Mapping[str, Any] | None
) -> DisputeService:
    counter = iter(range(1, 1_000_000))
    return DisputeService(
        db,
        clock=clock,
        evidence=FixedEvidence(bundle),
        anchors=lambda: ANCHORS,
        psp_id=IDS["psp"],
        psp_key=KEYS["psp"],
        random_bytes=lambda n: next(counter).to_bytes(n, "big"),
    )


def balances(db: Database) -> tuple[Money, Money, Money]:
    """Alice's wallet, the merchant's receivable, what the PSP paid into dispute refunds."""
    with db.read() as s:
        return (
            ledger_store.account_balance(s, ledger.wallet_account(ACCOUNT), "CNY"),
            ledger_store.account_balance(s, ledger.merchant_account(MERCHANT), "CNY"),
            ledger_store.account_balance(s, ledger.funding_account("psp-disputes"), "CNY"),
        )
