"""What trustcart's own UCP codec (``commerce.ucp``) writes, produced for the ``ucp`` suite.

A business profile (``business_profile``), and a checkout, a cart and an order rendered from a
real checkout session of the ACP examples' merchant (``acp_world``) on a throwaway database:
created, then completed with a vault token for exactly its total, so the order is a real one.
Nothing here is hand-written JSON: each document is what the codec renders.
"""

from __future__ import annotations

import hashlib
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from trustcart.commerce.checkout import Address, Buyer, CheckoutItem, Contact
from trustcart.commerce.checkout_service import CheckoutDraft
from trustcart.commerce.service import MerchantService
from trustcart.commerce.ucp.cart_render import render_cart
from trustcart.commerce.ucp.profile import business_profile
from trustcart.commerce.ucp.render import render_checkout, render_order
from trustcart.conformance.acp_world import MERCHANT_ID, _NoSearch, seed_example_merchant
from trustcart.core.clock import SystemClock
from trustcart.crypto.keys import SigningKey
from trustcart.payments.vault import Allowance, Card, VaultService
from trustcart.store.db import Database

BASE_URL = "https://business.invalid"

__all__ = ["BASE_URL", "codec_outputs"]


def codec_outputs() -> dict[str, dict[str, Any]]:
    """``{"profile", "checkout", "cart", "order"}``: documents rendered by ``commerce.ucp``."""
    key = SigningKey.generate()
    outputs = {"profile": business_profile(BASE_URL, [key.public.to_jwk()])}
    clock = SystemClock()
    with tempfile.TemporaryDirectory(prefix="trustcart-ucp-") as home:
        db = Database(f"sqlite:///{Path(home) / 'ucp.db'}")
        try:
            db.create_all()
            seed_example_merchant(db)
            merchants = MerchantService(
                db,
                {MERCHANT_ID: key},
                clock,
                psp_endpoint="http://psp.invalid/payments",
                psp_id="psp:trustcart",
                search=_NoSearch(),
            )
            vault = VaultService(db, clock)
            checkout = merchants.checkout_service(vault)
            address = Address("Ann Lee", "1 Market St", "San Francisco", "CA", "US", "94105")
            draft = CheckoutDraft(
                MERCHANT_ID,
                "conformance",
                "ucp",
                "USD",
                (CheckoutItem("item_123", 2),),
                buyer=Buyer("ann@example.com", "Ann", "Lee"),
                contact=Contact(name="Ann Lee", address=address),
            )
            view = checkout.create(draft)
            outputs["checkout"] = render_checkout(view, BASE_URL)
            outputs["cart"] = render_cart(view, BASE_URL)
            client_id, _secret = vault.register_client("conformance")
            card = Card("visa", "4242", "credit", hashlib.sha256(b"4242").hexdigest())
            allowance = Allowance(
                view.quote.total,
                MERCHANT_ID,
                view.session.session_id,
                clock.now() + timedelta(hours=1),
            )
            token = vault.delegate(client_id, card, allowance, {}).token
            done = checkout.complete(
                view.session.session_id, platform_id="conformance", payment_token=token
            )
            if done.order is None:
                raise RuntimeError("the completed checkout has no order")
            outputs["order"] = render_order(done, done.order, BASE_URL)
        finally:
            db.dispose()
    return outputs
