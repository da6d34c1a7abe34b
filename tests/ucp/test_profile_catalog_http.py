"""The profile and the catalog over real HTTP, every body valid against the pinned schemas."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from tests.helpers.ucp_flow import milk_tea
from tests.helpers.ucp_schemas import validate, validate_error, validate_profile
from tests.helpers.ucp_world import ucp_world
from trustcart.commerce.ucp import VERSION
from trustcart.store.db import Database

LOOKUP = "shopping/catalog_lookup.json#/$defs/"


def test_profile_and_catalog(db: Database, tmp_path: Path) -> None:
    with ucp_world(db, tmp_path) as world:
        profile = world.client.get("/.well-known/ucp")
        assert profile.status_code == 200
        body = profile.json()
        validate_profile(body)
        ucp = body["ucp"]
        assert ucp["version"] == VERSION
        assert ucp["services"]["dev.ucp.shopping"][0]["endpoint"] == world.deployment.endpoints.ucp
        assert all(entry[0]["version"] == VERSION for entry in ucp["capabilities"].values())
        merchant_kids = {k.kid for k in world.deployment.merchants.merchant_public_keys().values()}
        business_key = world.deployment.keys.get("ucp-business", "ES256").public
        assert body["signing_keys"][0] == business_key.to_jwk()  # ES256: signs the responses
        assert body["signing_keys"][0]["alg"] == "ES256"
        assert {k["kid"] for k in body["signing_keys"][1:]} == merchant_kids
        assert all("d" not in key for key in body["signing_keys"])

        product = milk_tea(world)
        assert product["variants"][0]["price"]["currency"] == "CNY"

        request = {"ids": [product["id"], "p_nosuchproduct"]}
        validate(request, LOOKUP + "lookup_request")
        found = world.send("POST", "/catalog/lookup", request)
        assert found.status_code == 200
        validate(found.json(), LOOKUP + "lookup_response")
        assert [p["id"] for p in found.json()["products"]] == [product["id"]]
        assert found.json()["messages"][0]["code"] == "not_found"

        request = {"id": product["id"]}
        validate(request, LOOKUP + "get_product_request")
        detail = world.send("POST", "/catalog/product", request)
        assert detail.status_code == 200
        validate(detail.json(), LOOKUP + "get_product_response")
        assert detail.json()["product"]["title"] == product["title"]

        assert profile.headers["cache-control"] == "public, max-age=300"
        # unknown product: an application outcome (HTTP 200, ucp.status error)
        missing = world.send("POST", "/catalog/product", {"id": "p_nosuchproduct"})
        assert missing.status_code == 200
        validate_error(missing.json())
        nothing = world.send("POST", "/catalog/search", {"query": "zqxj vvkw plorb"})
        assert nothing.status_code == 200
        validate(nothing.json(), "shopping/catalog_search.json#/$defs/search_response")
        assert nothing.json()["products"] == []
        no_input = world.send("POST", "/catalog/search", {})
        assert no_input.status_code == 400
        validate_error(no_input.json())
        bad = world.send("POST", "/catalog/lookup", {"ids": []})
        assert bad.status_code == 400
        validate_error(bad.json())
        assert bad.json()["messages"][0]["code"] == "invalid_request"
        # the schemas the tests rely on do refuse a wrong body
        with pytest.raises(jsonschema.ValidationError):
            validate({"ucp": ucp, "products": [{"id": "x"}]}, LOOKUP + "lookup_response")
