"""A session's figures must add up (``pricing.read_session``) and stay what the person
approved (``check_same_terms``): known answers, and properties over generated sessions (a
consistent session is read back exactly; any change of its total alone is refused)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trustcart.assistant.ucp.errors import UcpCode, UcpError
from trustcart.assistant.ucp.pricing import (
    check_same_terms,
    offer_from_product,
    quoted,
    read_session,
)
from trustcart.assistant.ucp.profile import read_profile
from trustcart.commerce.ucp.profile import business_profile

BUSINESS = read_profile("http://127.0.0.1:8706", business_profile("http://127.0.0.1:8706", []))


def session(
    price: int, quantity: int, discount: int, fulfillment: int, **extra: int
) -> dict[str, Any]:
    subtotal = price * quantity
    totals = [{"type": "subtotal", "amount": subtotal}]
    if discount:
        totals.append({"type": "discount", "amount": -discount})
    totals.append({"type": "fulfillment", "amount": fulfillment})
    totals += [{"type": kind, "amount": amount} for kind, amount in extra.items()]
    total = subtotal - discount + fulfillment + sum(extra.values())
    totals.append({"type": "total", "amount": total})
    return {
        "id": "chk_1",
        "status": "ready_for_complete",
        "currency": "CNY",
        "line_items": [
            {
                "id": "li_1",
                "item": {"id": "p_1", "title": "Pearl Milk Tea", "price": price},
                "quantity": quantity,
                "totals": [
                    {"type": "subtotal", "amount": subtotal},
                    {"type": "total", "amount": subtotal},
                ],
            }
        ],
        "totals": totals,
        "messages": [],
    }


VARIANT: dict[str, Any] = {
    "id": "p_1",
    "title": "Pearl Milk Tea",
    "price": {"amount": 1200, "currency": "CNY"},
    "seller": {"name": "Bund Tea Bar"},
    "metadata": {"merchant_id": "m_bund_tea"},
}
PRODUCT: dict[str, Any] = {
    "id": "p_1",
    "title": "Pearl Milk Tea",
    "categories": [{"value": "drinks/milk-tea", "taxonomy": "trustcart"}],
    "price_range": {
        "min": {"amount": 1200, "currency": "CNY"},
        "max": {"amount": 1200, "currency": "CNY"},
    },
    "variants": [VARIANT],
}


def test_a_product_becomes_an_offer_of_its_business() -> None:
    offer = offer_from_product(PRODUCT, BUSINESS, 2)
    assert offer is not None
    assert (offer.product_id, offer.merchant_id, offer.business) == (
        "ucp:p_1",
        "m_bund_tea",
        BUSINESS.url,
    )
    assert offer.merchant_name == "Bund Tea Bar (UCP 127.0.0.1:8706)"
    assert (offer.unit_price.minor, offer.total.minor, offer.category) == (
        1200,
        2400,
        "drinks/milk-tea",
    )
    variant = {**VARIANT, "availability": {"available": False}}
    sold_out = {**PRODUCT, "variants": [variant]}
    assert offer_from_product(sold_out, BUSINESS, 1) is None


def test_the_quote_is_the_delivered_total_and_must_not_move() -> None:
    offer = offer_from_product(PRODUCT, BUSINESS, 2)
    assert offer is not None
    figures = read_session(session(1200, 2, 300, 500))
    priced = quoted(offer, figures)
    assert (priced.subtotal.minor, priced.discount.minor, priced.total.minor) == (2400, 300, 2600)
    check_same_terms(priced, figures)
    with pytest.raises(UcpError) as moved:
        check_same_terms(priced, read_session(session(1300, 2, 300, 500)))
    assert moved.value.code == UcpCode.PRICE_CHANGED
    with pytest.raises(UcpError) as fee:
        check_same_terms(priced, read_session(session(1200, 2, 300, 900)))
    assert fee.value.code == UcpCode.PRICE_CHANGED
    with pytest.raises(UcpError) as other:
        quoted(dataclasses.replace(offer, quantity=3), figures)
    assert other.value.code == UcpCode.PRICE_CHANGED


@pytest.mark.parametrize("lie", ["total", "subtotal", "line", "unknown-kind", "no-total"])
def test_figures_that_do_not_add_up_are_refused(lie: str) -> None:
    body = session(1200, 2, 300, 500)
    if lie == "total":
        body["totals"][-1]["amount"] += 1
    elif lie == "subtotal":
        body["totals"][0]["amount"] -= 100
    elif lie == "line":
        body["line_items"][0]["totals"][0]["amount"] = 1
    elif lie == "unknown-kind":
        body["totals"].insert(-1, {"type": "service_charge", "amount": 0})
    else:
        body["totals"].pop()
    with pytest.raises(UcpError) as refused:
        read_session(body)
    assert refused.value.code == UcpCode.TOTALS_MISMATCH


AMOUNTS = st.integers(min_value=0, max_value=10**7)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 10**6),
    st.integers(1, 50),
    AMOUNTS,
    AMOUNTS,
    AMOUNTS,
    st.integers(-(10**6), 10**6),
)
def test_consistent_sessions_are_read_and_any_other_total_is_refused(
    price: int, quantity: int, discount: int, fulfillment: int, tax: int, shift: int
) -> None:
    discount = min(discount, price * quantity)
    body = session(price, quantity, discount, fulfillment, tax=tax)
    figures = read_session(body)
    assert figures.total.minor == price * quantity - discount + fulfillment + tax
    if shift:
        body["totals"][-1]["amount"] += shift
        with pytest.raises(UcpError) as refused:
            read_session(body)
        assert refused.value.code == UcpCode.TOTALS_MISMATCH
