"""Capability intersection and version negotiation (pure), with properties of the algorithm."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trustcart.commerce.ucp import VERSION
from trustcart.commerce.ucp.errors import UcpCode, UcpError
from trustcart.commerce.ucp.negotiation import (
    business_capabilities,
    fallback_negotiation,
    intersect,
    negotiate,
    relevant,
    require,
    shape_response,
)

CHECKOUT, CART = "dev.ucp.shopping.checkout", "dev.ucp.shopping.cart"
DISCOUNT, FULFILLMENT = "dev.ucp.shopping.discount", "dev.ucp.shopping.fulfillment"
OURS = business_capabilities()


def test_highest_common_version_wins_and_no_common_version_excludes() -> None:
    business = {"a.b": [{"version": "2026-01-11"}, {"version": "2026-04-08"}]}
    assert intersect(business, {"a.b": [{"version": "2026-01-11"}]}) == {"a.b": "2026-01-11"}
    both = [{"version": "2026-04-08"}, {"version": "2026-01-11"}]
    assert intersect(business, {"a.b": both}) == {"a.b": "2026-04-08"}
    assert intersect(business, {"a.b": [{"version": "2025-10-01"}]}) == {}


def test_orphaned_extensions_are_pruned_transitively_and_multi_parent_needs_one() -> None:
    business = {
        "r.root": [{"version": "1"}],
        "r.ext": [{"version": "1", "extends": "r.root"}],
        "r.ext2": [{"version": "1", "extends": "r.ext"}],
    }
    platform = {"r.ext": [{"version": "1"}], "r.ext2": [{"version": "1"}]}
    assert intersect(business, platform) == {}
    only_cart = {CART: [{"version": VERSION}], DISCOUNT: [{"version": VERSION}]}
    assert set(intersect(OURS, only_cart)) == {CART, DISCOUNT}  # discount extends cart too
    no_root = {DISCOUNT: [{"version": VERSION}], FULFILLMENT: [{"version": VERSION}]}
    assert intersect(OURS, no_root) == {}


def test_other_protocol_version_is_422_and_missing_root_is_capabilities_incompatible() -> None:
    with pytest.raises(UcpError) as refused:
        negotiate("2026-01-11", OURS)
    assert (refused.value.code, refused.value.status) == (UcpCode.VERSION_UNSUPPORTED, 422)
    negotiated = negotiate(VERSION, {CART: [{"version": VERSION}]})
    require(negotiated, CART)
    with pytest.raises(UcpError) as incompatible:
        require(negotiated, CHECKOUT)
    assert incompatible.value.code is UcpCode.CAPABILITIES_INCOMPATIBLE
    assert incompatible.value.status == 200  # an application outcome, not a transport error


def test_response_declares_only_what_was_negotiated_and_drops_unnegotiated_extensions() -> None:
    body: dict[str, Any] = {
        "ucp": {
            "version": VERSION,
            "status": "success",
            "capabilities": {n: [{"version": VERSION}] for n in (CHECKOUT, DISCOUNT, FULFILLMENT)},
        },
        "id": "cs_1",
        "discounts": {"codes": []},
        "fulfillment": {"methods": []},
    }
    negotiated = negotiate(VERSION, {CHECKOUT: [{"version": VERSION}]})
    shaped = shape_response(body, negotiated, CHECKOUT)
    assert set(shaped["ucp"]["capabilities"]) == {CHECKOUT}
    assert "discounts" not in shaped
    assert "fulfillment" not in shaped
    everything = shape_response(body, fallback_negotiation(), CHECKOUT)
    assert set(everything["ucp"]["capabilities"]) == {CHECKOUT, DISCOUNT, FULFILLMENT}
    assert relevant(fallback_negotiation(), "dev.ucp.shopping.order") == ["dev.ucp.shopping.order"]


names = st.sampled_from(sorted(OURS))
versions = st.sampled_from([VERSION, "2026-01-11", "2025-10-01"])
platforms = st.dictionaries(names, st.lists(st.builds(lambda v: {"version": v}, versions)))


@given(platforms)
def test_intersection_is_a_subset_with_every_extension_anchored(platform: dict[str, Any]) -> None:
    chosen = intersect(OURS, platform)
    assert set(chosen) <= set(OURS) & set(platform)
    for name, version in chosen.items():
        assert version in {e["version"] for e in platform[name]}
        parents = OURS[name][0].get("extends")
        if parents is not None:
            parents = {parents} if isinstance(parents, str) else set(parents)
            assert parents & set(chosen)
    assert intersect(OURS, {n: [{"version": v}] for n, v in chosen.items()}) == chosen
