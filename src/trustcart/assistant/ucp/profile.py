"""A UCP business's ``/.well-known/ucp``, read and checked before it is stored or used (pure).

Strategy: the document is validated against the pinned ``business_schema`` first; then what the
trustcart agent needs is checked, each with its own stable code, and kept in a frozen
``BusinessProfile``:

* protocol ``version`` 2026-04-08 (``ucp-version-unsupported`` otherwise);
* the ``dev.ucp.shopping`` service over ``rest`` at that version, with an http(s) endpoint;
* the capabilities checkout, catalog search and catalog lookup at that version
  (``ucp-capability-missing``);
* the payment handler ``dev.trustcart.act_token`` (a trustcart restricted payment token,
  settled by the trustcart payment provider; ``ucp-handler-missing``);
* ``signing_keys``: public JWKs only (a private member is refused), each with ``kty`` and
  ``kid``; they verify the merchant-signed ACT carts of this business.

The business is known by its ``url`` (scheme, host and port, no path: UCP discovers a business
at the root of its host); ``normalize_url`` makes that canonical.

>>> normalize_url("HTTP://127.0.0.1:8706/")
'http://127.0.0.1:8706'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from trustcart.assistant.ucp import VERSION
from trustcart.assistant.ucp.errors import ProfileRejected, UcpCode
from trustcart.assistant.ucp.schemas import PROFILE, problems

SHOPPING = "dev.ucp.shopping"
CHECKOUT = "dev.ucp.shopping.checkout"
NEEDED_CAPABILITIES = (
    CHECKOUT,
    "dev.ucp.shopping.catalog.search",
    "dev.ucp.shopping.catalog.lookup",
)
HANDLER = "dev.trustcart.act_token"
INSTRUMENT_TYPE = "act_token"
PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "k"})


def normalize_url(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, lower-cased; ``ProfileRejected`` (``ucp-bad-url``)
    for anything but an http(s) URL without path, query, fragment or credentials."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as e:
        raise ProfileRejected(UcpCode.BAD_URL, f"{url!r} is not a URL") from e
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ProfileRejected(UcpCode.BAD_URL, f"{url!r} is not an http(s) URL of a host")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ProfileRejected(
            UcpCode.BAD_URL,
            f"{url!r}: give the business's host only (its profile is at /.well-known/ucp)",
        )
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme.lower()}://{host}" + ("" if port is None else f":{port}")


@dataclass(frozen=True, slots=True)
class BusinessProfile:
    """A checked business: where it is, what it speaks and the keys that sign its carts."""

    url: str
    endpoint: str
    handler_id: str
    capabilities: tuple[str, ...]
    signing_keys: tuple[Mapping[str, str], ...]
    document: Mapping[str, Any]

    @property
    def name(self) -> str:
        """A short name for people: the host (and port) of the business."""
        return self.url.split("://", 1)[1]

    def to_record(self) -> dict[str, Any]:
        """What the store keeps (re-checked by ``from_record`` when read back)."""
        return {"url": self.url, "profile": _thawed(self.document)}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> BusinessProfile:
        return read_profile(str(record["url"]), record["profile"])


def _thawed(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thawed(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_thawed(v) for v in value]
    return value


def _at_version(entries: Any) -> list[Mapping[str, Any]]:
    if not isinstance(entries, list):
        return []
    return [e for e in entries if isinstance(e, Mapping) and e.get("version") == VERSION]


def _endpoint(ucp: Mapping[str, Any]) -> str:
    services = ucp["services"].get(SHOPPING)
    if not services:
        raise ProfileRejected(
            UcpCode.CAPABILITY_MISSING, f"the profile offers no {SHOPPING} service"
        )
    rest = [s for s in _at_version(services) if s.get("transport") == "rest"]
    if not rest:
        if any(isinstance(s, Mapping) and s.get("transport") == "rest" for s in services):
            raise ProfileRejected(
                UcpCode.VERSION_UNSUPPORTED, f"its REST shopping service is not version {VERSION}"
            )
        raise ProfileRejected(
            UcpCode.CAPABILITY_MISSING, "its shopping service is not offered over REST"
        )
    endpoint = str(rest[0].get("endpoint") or "").rstrip("/")
    if urlsplit(endpoint).scheme not in ("http", "https"):
        raise ProfileRejected(UcpCode.PROFILE_INVALID, "its REST endpoint is not an http(s) URL")
    return endpoint


def _capabilities(ucp: Mapping[str, Any]) -> tuple[str, ...]:
    offered = ucp.get("capabilities") or {}
    for name in NEEDED_CAPABILITIES:
        if name not in offered:
            raise ProfileRejected(UcpCode.CAPABILITY_MISSING, f"the profile lacks {name}")
        if not _at_version(offered[name]):
            raise ProfileRejected(
                UcpCode.VERSION_UNSUPPORTED, f"its {name} is not version {VERSION}"
            )
    return tuple(sorted(name for name in offered if _at_version(offered[name])))


def _handler_id(ucp: Mapping[str, Any]) -> str:
    handlers = _at_version(ucp["payment_handlers"].get(HANDLER))
    if not handlers or not handlers[0].get("id"):
        raise ProfileRejected(
            UcpCode.HANDLER_MISSING,
            f"it does not take the trustcart payment handler {HANDLER} (version {VERSION})",
        )
    return str(handlers[0]["id"])


def _signing_keys(document: Mapping[str, Any]) -> tuple[Mapping[str, str], ...]:
    keys = document.get("signing_keys", [])
    if not isinstance(keys, list):
        raise ProfileRejected(UcpCode.PROFILE_INVALID, "signing_keys is not a list")
    checked = []
    for key in keys:
        if not isinstance(key, Mapping) or not {"kty", "kid"} <= set(key):
            raise ProfileRejected(UcpCode.PROFILE_INVALID, "a signing key is not a JWK with kid")
        if PRIVATE_JWK_MEMBERS & set(key):
            raise ProfileRejected(UcpCode.PROFILE_INVALID, "a signing key carries private members")
        checked.append(MappingProxyType({str(k): str(v) for k, v in key.items()}))
    return tuple(checked)


def read_profile(url: str, document: Any) -> BusinessProfile:
    """Check ``document`` (the JSON served at ``url``/.well-known/ucp); ``ProfileRejected``
    with a stable code when it cannot be used."""
    base = normalize_url(url)
    if not isinstance(document, Mapping) or not isinstance(document.get("ucp"), Mapping):
        raise ProfileRejected(UcpCode.PROFILE_INVALID, "the profile is not an object with ucp")
    ucp = document["ucp"]
    found = problems(_thawed(ucp), PROFILE)
    if found:
        raise ProfileRejected(UcpCode.PROFILE_INVALID, f"the profile is not UCP: {found[0]}")
    if ucp["version"] != VERSION:
        raise ProfileRejected(
            UcpCode.VERSION_UNSUPPORTED, f"it speaks UCP {ucp['version']}, not {VERSION}"
        )
    return BusinessProfile(
        url=base,
        endpoint=_endpoint(ucp),
        handler_id=_handler_id(ucp),
        capabilities=_capabilities(ucp),
        signing_keys=_signing_keys(document),
        document=MappingProxyType(_thawed(document)),
    )
