"""A business's profile is checked before it is kept: known-answer cases on our own business's
profile (``commerce.ucp.profile``), each rule broken once, and the parsers fuzzed (only
``UcpError`` may escape)."""

from __future__ import annotations

import contextlib
import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trustcart.assistant.ucp.errors import UcpCode, UcpError
from trustcart.assistant.ucp.profile import normalize_url, read_profile
from trustcart.commerce.ucp.profile import business_profile
from trustcart.crypto.keys import SigningKey

URL = "http://127.0.0.1:8706"


def profile() -> dict[str, Any]:
    return business_profile(URL, [SigningKey.generate().public.to_jwk()])


def test_our_business_profile_is_accepted() -> None:
    checked = read_profile(URL + "/", profile())
    assert checked.url == URL
    assert checked.endpoint == URL
    assert checked.handler_id == "trustcart_token"
    assert {"dev.ucp.shopping.checkout", "dev.ucp.shopping.catalog.search"} <= set(
        checked.capabilities
    )
    assert read_profile(URL, checked.to_record()["profile"]) == checked


def _broken(change: str) -> dict[str, Any]:
    document = copy.deepcopy(profile())
    ucp = document["ucp"]
    if change == "version":
        ucp["version"] = "2025-01-01"
    elif change == "no-checkout":
        del ucp["capabilities"]["dev.ucp.shopping.checkout"]
    elif change == "old-search":
        ucp["capabilities"]["dev.ucp.shopping.catalog.search"][0]["version"] = "2025-01-01"
    elif change == "no-handler":
        ucp["payment_handlers"] = {}
    elif change == "no-rest":
        ucp["services"]["dev.ucp.shopping"][0]["transport"] = "mcp"
    elif change == "no-shopping":
        ucp["services"] = {}
    elif change == "private-key":
        document["signing_keys"] = [
            {"kty": "OKP", "crv": "Ed25519", "kid": "k", "x": "a", "d": "b"}
        ]
    elif change == "schema":
        ucp["services"] = "rest"
    elif change == "not-object":
        return ["ucp"]  # type: ignore[return-value]
    return document


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ("version", UcpCode.VERSION_UNSUPPORTED),
        ("no-checkout", UcpCode.CAPABILITY_MISSING),
        ("old-search", UcpCode.VERSION_UNSUPPORTED),
        ("no-handler", UcpCode.HANDLER_MISSING),
        ("no-rest", UcpCode.CAPABILITY_MISSING),
        ("no-shopping", UcpCode.CAPABILITY_MISSING),
        ("private-key", UcpCode.PROFILE_INVALID),
        ("schema", UcpCode.PROFILE_INVALID),
        ("not-object", UcpCode.PROFILE_INVALID),
    ],
)
def test_each_rule_refuses_a_profile_that_breaks_it(change: str, code: UcpCode) -> None:
    with pytest.raises(UcpError) as refused:
        read_profile(URL, _broken(change))
    assert refused.value.code == code


@pytest.mark.parametrize(
    "url",
    ["ftp://127.0.0.1", "http://127.0.0.1:8706/shop", "http://u:p@127.0.0.1", "not a url",
     "http://127.0.0.1:99999", "http://127.0.0.1/?q=1", ""],
)  # fmt: skip
def test_only_a_business_host_is_a_url(url: str) -> None:
    with pytest.raises(UcpError) as refused:
        normalize_url(url)
    assert refused.value.code == UcpCode.BAD_URL


def test_urls_are_canonical() -> None:
    assert normalize_url(" HTTPS://Shop.Example:443/ ") == "https://shop.example:443"
    assert normalize_url("http://[::1]:8706") == "http://[::1]:8706"


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=60))
def test_any_text_as_url_is_a_url_or_ucp_bad_url(text: str) -> None:
    code: UcpCode | None
    try:
        normalized = normalize_url(text)
    except UcpError as e:
        code = e.code
    else:
        code = None
        assert normalized.startswith(("http://", "https://"))
    assert code in (None, UcpCode.BAD_URL)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(
    JSON, st.sampled_from(["ucp", "services", "capabilities", "payment_handlers", "signing_keys"])
)
def test_any_json_is_a_profile_or_a_ucp_error(value: Any, where: str) -> None:
    document = copy.deepcopy(profile())
    if where == "signing_keys":
        document["signing_keys"] = value
    elif where == "ucp":
        document["ucp"] = value
    else:
        document["ucp"][where] = value
    with contextlib.suppress(UcpError):  # anything else escaping fails the test
        read_profile(URL, document)


def test_every_platform_code_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "errors.md").read_text("utf-8")
    section = doc.split("## UCP platform", 1)[1].split("\n## ", 1)[0]
    assert [code for code in UcpCode if f"| `{code}` |" not in section] == []
