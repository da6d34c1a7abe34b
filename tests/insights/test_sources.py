"""Onboard, import, buy, and read the ROI back from the ledger and the log of a live market.

A merchant onboarded while the market runs is signed for and published at once: the agent
verifies its cart with the key the marketplace now lists, and pays. The ROI report read from
the store then moves by exactly that purchase, the ledger still balances, and the log holds
the agent's options-presented decision for the intent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.helpers.web import (
    CATALOG_CSV,
    GOOD_ROWS,
    MERCHANT_FORM,
    MERCHANT_ID,
    PRODUCT_ID,
    PRODUCT_QUERY,
    buy,
)
from trustcart.assistant.tools import ShoppingTools
from trustcart.commerce.onboarding import MerchantApplication
from trustcart.crypto.jws import peek_payload
from trustcart.insights.sources import load_roi
from trustcart.local.deployment import Deployment
from trustcart.local.onboarding import import_into, list_merchants, onboard_merchant
from trustcart.payments.ledger_store import check_balanced
from trustcart.store.trust import AttestationRow


def test_onboard_import_buy_and_the_roi_moves_by_that_purchase(
    market: tuple[ShoppingTools, Deployment], tmp_path: Path
) -> None:
    tools, deployment = market
    fields: dict[str, Any] = {k: v for k, v in MERCHANT_FORM.items() if k != "currency"}
    application = MerchantApplication.parse(**fields)
    onboarded = onboard_merchant(
        deployment.db, deployment.keys, application, now=deployment.clock.now(),
        deployment=deployment,
    )  # fmt: skip
    assert onboarded.merchant.merchant_id == MERCHANT_ID
    published = httpx.get(f"{deployment.endpoints.merchant}/.well-known/jwks.json").json()
    assert onboarded.kid in {key["kid"] for key in published["keys"]}
    assert onboarded.to_json()["jwks"]["keys"][0]["kid"] == onboarded.kid

    catalog = tmp_path / "catalog.csv"
    catalog.write_text(CATALOG_CSV, encoding="utf-8")
    report = import_into(deployment, catalog, now=deployment.clock.now(), merchant_id=MERCHANT_ID)
    assert (report.inserted, len(report.issues)) == (GOOD_ROWS, 3)
    listed = {m["merchant_id"]: m for m in list_merchants(deployment.db, deployment.keys.path)}
    assert listed[MERCHANT_ID]["products"] == GOOD_ROWS
    assert listed[MERCHANT_ID]["kid"] == onboarded.kid

    before = load_roi(deployment.db, deployment.clock, days=1).totals
    paid = buy(tools, PRODUCT_QUERY, MERCHANT_ID)
    assert paid["items"][0]["product_id"] == PRODUCT_ID
    after = load_roi(deployment.db, deployment.clock, days=1).totals
    mine = load_roi(deployment.db, deployment.clock, days=1, merchant_id=MERCHANT_ID).totals

    assert after.orders == before.orders + 1
    assert mine.orders == 1
    assert (after.gmv - before.gmv) == mine.gmv
    assert mine.gmv.to_json() == paid["orders"][0]["amount"]
    assert after.funnel.paid == before.funnel.paid + 1
    assert after.funnel.options_shown == before.funnel.options_shown + 1
    assert mine.funnel.carts_confirmed == mine.funnel.paid == 1
    assert mine.assistant_ms > 0
    with deployment.db.transaction() as session:
        check_balanced(session)
        records = session.query(AttestationRow).filter_by(intent_id=paid["intent_id"]).all()
    bodies = [
        peek_payload(r.record_jws)["event_body"]
        for r in records
        if r.event_type == "act:commerce:decision-logged"
    ]
    presented = [b for b in bodies if b.get("stage") == "options-presented"]
    assert len(presented) == 1
    assert MERCHANT_ID in presented[0]["merchants"]
    assert presented[0]["options"] >= 1
