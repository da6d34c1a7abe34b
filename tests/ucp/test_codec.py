"""The UCP codec without a server: headers, negotiation, requests, status names, errors."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers.ucp_schemas import validate_checkout, validate_error
from trustcart.commerce.checkout import CheckoutStatus
from trustcart.commerce.checkout_quote import DiscountRejection
from trustcart.commerce.errors import CheckoutRefused, CommerceProblem
from trustcart.commerce.ucp import VERSION
from trustcart.commerce.ucp.business import fingerprint
from trustcart.commerce.ucp.errors import UcpCode, UcpError, from_commerce
from trustcart.commerce.ucp.render import STATUS
from trustcart.commerce.ucp.requests import (
    check_negotiation,
    checkout_input,
    payment_token,
    platform_profile,
)


def code_of(call: object) -> UcpCode:
    with pytest.raises(UcpError) as caught:
        call()  # type: ignore[operator]
    body = caught.value.body(VERSION)
    if caught.value.transport:  # UCP's REST transport error (discovery, version, signature)
        assert body == {"code": str(caught.value.code), "content": caught.value.content}
    else:
        validate_error(body)
    return caught.value.code


def test_every_internal_status_has_a_ucp_name() -> None:
    assert set(STATUS) == set(CheckoutStatus)
    assert STATUS[CheckoutStatus.EXPIRED] == "canceled"


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, UcpCode.INVALID_PROFILE_URL),  # UCP: "malformed, missing, or unresolvable"
        ("", UcpCode.INVALID_PROFILE_URL),
        ("profile=1", UcpCode.INVALID_PROFILE_URL),
        ('profile="ftp://x/y"', UcpCode.INVALID_PROFILE_URL),
        ("not a dictionary ;;", UcpCode.INVALID_PROFILE_URL),
        ('profile="https://p.test/u", version="2025-01-01"', UcpCode.VERSION_UNSUPPORTED),
    ],
)
def test_ucp_agent_is_required_and_checked(header: str | None, code: UcpCode) -> None:
    assert code_of(lambda: platform_profile(header)) is code


def test_negotiation_refuses_other_versions_and_capabilities() -> None:
    check_negotiation({"ucp": {"version": VERSION, "capabilities": {"dev.ucp.shopping.order": []}}})
    assert code_of(lambda: check_negotiation({"ucp": {"version": "2026-01-11"}})) is (
        UcpCode.VERSION_UNSUPPORTED
    )
    assert code_of(lambda: check_negotiation({"ucp": {"capabilities": {"dev.x.y": []}}})) is (
        UcpCode.CAPABILITY_UNSUPPORTED
    )
    assert code_of(lambda: check_negotiation({"com.vendor.points": 1})) is (
        UcpCode.CAPABILITY_UNSUPPORTED
    )


def test_a_create_body_becomes_the_checkout_machine_input() -> None:
    body = {
        "line_items": [
            {"item": {"id": "p_a"}, "quantity": 1},
            {"item": {"id": "p_a"}, "quantity": 2},
        ],
        "discounts": {"codes": ["SAVE5"]},
        "act": {"iac": "aaa.bbb.ccc"},
    }
    validate_checkout(body, "create")
    wanted = checkout_input(body)
    assert [(i.product_id, i.quantity) for i in wanted.items] == [("p_a", 3)]
    assert (wanted.codes, wanted.iac, wanted.contact) == (("SAVE5",), "aaa.bbb.ccc", None)


LONG_STREET = {
    "id": "d",
    "street_address": "x" * 300,
    "address_locality": "Hangzhou",
    "address_country": "CN",
    "postal_code": "310007",
}


def test_a_partial_destination_leaves_the_address_missing() -> None:
    body = {
        "line_items": [{"item": {"id": "p"}, "quantity": 1}],
        "fulfillment": {
            "methods": [
                {
                    "type": "shipping",
                    "line_item_ids": ["li_1"],
                    "destinations": [{"id": "d", "address_country": "CN"}],
                    "groups": [{"id": "g", "selected_option_id": "std"}],
                }
            ]
        },
    }
    validate_checkout(body, "update")
    wanted = checkout_input(body)
    assert (wanted.contact, wanted.selected_option_id) == (None, "std")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"line_items": []},
        {"line_items": [{"item": {"id": "p"}, "quantity": True}]},
        {"line_items": [{"item": "p", "quantity": 1}]},
        {"line_items": [{"item": {"id": "p"}, "quantity": 1}], "discounts": {"codes": ["a b"]}},
        {"line_items": [{"item": {"id": "p"}, "quantity": 1}], "act": {"iac": "not-a-jws"}},
        {"line_items": [{"item": {"id": "p"}, "quantity": 1}], "buyer": {"email": "nope"}},
        {
            "line_items": [{"item": {"id": "p"}, "quantity": 1}],
            "fulfillment": {"methods": [{"type": "pickup", "line_item_ids": []}]},
        },
        {
            "line_items": [{"item": {"id": "p"}, "quantity": 1}],
            "fulfillment": {"methods": [{"type": "shipping", "destinations": [LONG_STREET]}]},
        },
    ],
)
def test_bad_checkout_bodies_are_invalid_requests(body: dict[str, object]) -> None:
    assert code_of(lambda: checkout_input(body)) is UcpCode.INVALID_REQUEST


def test_complete_needs_one_instrument_of_our_handler() -> None:
    ours = {
        "id": "i",
        "handler_id": "trustcart_token",
        "type": "act_token",
        "credential": {"type": "act_token", "token": "tok"},
    }
    assert payment_token({"payment": {"instruments": [ours]}}) == "tok"
    two = {"payment": {"instruments": [ours, ours]}}
    assert code_of(lambda: payment_token(two)) is UcpCode.INVALID_REQUEST
    other = {"payment": {"instruments": [{**ours, "handler_id": "com.other"}]}}
    assert code_of(lambda: payment_token(other)) is UcpCode.PAYMENT_HANDLER_UNSUPPORTED
    assert code_of(lambda: payment_token({})) is UcpCode.INVALID_REQUEST


@pytest.mark.parametrize(
    ("problem", "reason", "code"),
    [
        (CommerceProblem.UNKNOWN_CHECKOUT, None, UcpCode.NOT_FOUND),
        (CommerceProblem.CHECKOUT_ILLEGAL_TRANSITION, None, UcpCode.INVALID_TRANSITION),
        (CommerceProblem.IAC_REFUSED, "iac-revoked", UcpCode.IAC_REFUSED),
        (CommerceProblem.PAYMENT_DECLINED, "iac-required", UcpCode.IAC_REQUIRED),
        (CommerceProblem.PAYMENT_DECLINED, "over-budget", UcpCode.PAYMENT_DECLINED),
        (CommerceProblem.NO_MATCH, None, UcpCode.INVALID_REQUEST),
    ],
)
def test_checkout_refusals_map_to_ucp_codes(
    problem: CommerceProblem, reason: str | None, code: UcpCode
) -> None:
    extra = {"reason": reason} if reason else {}
    error = from_commerce(CheckoutRefused(problem, "detail", status=403, **extra))
    assert error.code is code
    validate_error(error.body(VERSION))
    if reason:
        assert error.content.startswith(reason)


def test_an_error_body_with_a_stray_field_is_not_a_ucp_error() -> None:
    body = UcpError(UcpCode.NOT_FOUND, "x").body(VERSION)
    with pytest.raises(jsonschema.ValidationError):
        validate_error({**body, "code": "not_found"})  # error_response allows nothing else


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(deadline=None)
@given(st.dictionaries(st.text(max_size=6), json_values, max_size=5))
def test_the_fingerprint_ignores_key_order_only(body: dict[str, object]) -> None:
    reordered = dict(reversed(list(body.items())))
    assert fingerprint(reordered) == fingerprint(body)
    assert fingerprint({**body, "\x00extra": 1}) != fingerprint(body)


def test_every_ucp_code_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "errors.md").read_text("utf-8")
    section = doc[doc.index("## UCP business") :]
    codes = [*UcpCode, *(f"discount_code_{r}".replace("-", "_") for r in DiscountRejection)]
    assert [str(c) for c in codes if f"`{c}`" not in section] == []
