"""Prepare a running ``trustcart serve`` for the spck-conformance runner (docs/interop.md).

    python -m tests.helpers.ucp_interop HOME BASE_PORT CONFIG_OUT

Against the store in ``HOME`` (the one ``serve`` runs on): puts the merchant ``m_canal_wear``'s
coupons behind discount codes (the seed has none: its coupons are automatic) and adds a second
one, then, as Alice's wallet over HTTP, signs an IAC for apparel and gets a restricted payment
token bound to it, and writes the runner's ``--config``: a product, an out-of-stock product, the
fulfilment option, the complete body (our handler, the token, and ``act.iac``), a failing token.
"""

from __future__ import annotations

import json
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from tests.helpers.delegation import make_isr
from trustcart.assistant.wallet import Wallet
from trustcart.commerce.catalog import CouponKind
from trustcart.commerce.checkout_store import add_discount_code
from trustcart.commerce.onboarding import CouponTerms, add_coupon
from trustcart.core.clock import SystemClock
from trustcart.core.home import default_database_url
from trustcart.core.money import Money
from trustcart.delegation.terms import CommerceConstraints
from trustcart.local import persona
from trustcart.local.keystore import KeyStore
from trustcart.local.status_route import STATUS_BASE
from trustcart.store.commerce import CouponRow, ProductRow
from trustcart.store.db import Database

MERCHANT = "m_canal_wear"


def _codes(db: Database) -> tuple[str, str]:
    now = SystemClock().now()
    with db.transaction() as session:
        coupons = session.scalars(select(CouponRow).where(CouponRow.merchant_id == MERCHANT)).all()
        first = coupons[0].coupon_id
    second = add_coupon(
        db,
        MERCHANT,
        CouponTerms(CouponKind.FIXED, 500, Money.parse("1.00", "CNY"), "5 off"),
        now=now,
    ).coupon_id
    with db.transaction() as session:
        add_discount_code(session, MERCHANT, "CANAL10", first)
        add_discount_code(session, MERCHANT, "CANAL5", second)
    return "canal10", "CANAL5"  # the first in lower case: codes match in any case


def _products(db: Database) -> tuple[str, str]:
    with db.read() as session:
        rows = session.scalars(
            select(ProductRow)
            .where(ProductRow.merchant_id == MERCHANT)
            .order_by(ProductRow.product_id)
        ).all()
    in_stock = next(r.product_id for r in rows if r.stock > 50 and r.price_minor <= 20_000)
    out = next(r.product_id for r in rows if r.stock == 0)
    return in_stock, out


def _instrument(token: str) -> dict[str, Any]:
    return {
        "id": "instr_1",
        "handler_id": "trustcart_token",
        "type": "act_token",
        "selected": True,
        "credential": {"type": "act_token", "token": token},
    }


def main(home: Path, base_port: int, out: Path) -> None:
    db = Database(default_database_url(home))
    valid, second = _codes(db)
    product, out_of_stock = _products(db)
    keys = KeyStore(home / "keys.json")
    now = SystemClock().now().replace(microsecond=0)
    with (
        httpx.Client(base_url=f"http://127.0.0.1:{base_port}", timeout=10) as status,
        httpx.Client(base_url=f"http://127.0.0.1:{base_port + 3}", timeout=10) as psp,
    ):
        wallet = Wallet(
            key=keys.get(persona.KEY_NAME),
            identity=persona.IDENTITY,
            account_id=persona.ACCOUNT_ID,
            clock=SystemClock(),
            status_service=status,
            status_base_url=STATUS_BASE,
            psp=psp,
        )
        isr = make_isr(
            now,
            intent_id="int_" + uuid.uuid4().hex[:12],
            validity_start=now - timedelta(minutes=1),
            created_at=now - timedelta(minutes=1),
            validity_end=now + timedelta(days=2),
            max_total=Money.parse("5000.00", "CNY"),
            commerce=CommerceConstraints(
                max_single=Money.parse("1000.00", "CNY"), allowed_categories=("apparel",)
            ),
        )
        iac = wallet.authorize(isr)
        token = wallet.bind(iac)
    config = {
        "product_id": product,
        "currency": "CNY",
        "out_of_stock_id": out_of_stock,
        "fulfillment_option_id": "standard_delivery",
        "complete_payment": {
            "payment": {"instruments": [_instrument(token)]},
            "act": {"iac": iac.token},
        },
        "fail_payment": {
            "payment": {"instruments": [_instrument("tok_not_issued")]},
            "act": {"iac": iac.token},
        },
        "discount": {
            "valid_code": valid,
            "second_valid_code": second,
            "invalid_code": "NOT_A_REAL_CODE",
        },
        "catalog": {"variant_id": product},
        "order": {"second_product_id": out_of_stock},
    }
    out.write_text(json.dumps(config, indent=1), "utf-8")
    db.dispose()


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]))
