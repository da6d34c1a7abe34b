"""Version negotiation and capability intersection with the calling platform's profile (pure).

UCP 2026-04-08 (overview, "Negotiation Protocol" and "Version Negotiation"):

* the platform's protocol version is the ``version`` of the profile named in ``UCP-Agent``; it
  must be ours (we declare no ``supported_versions``), else ``version_unsupported`` (422, no
  resource is created);
* the active capabilities are the intersection: a business capability is kept when the platform
  lists the same name with a version both list (the highest such version wins); then every
  extension none of whose parents (``extends``, a string or a list) survived is pruned, again
  until nothing changes;
* an operation needs its root capability in the intersection (checkout for checkout sessions,
  cart for carts, order for orders, catalog search or lookup for the catalog): without it the
  answer is ``capabilities_incompatible``, an application outcome (HTTP 200, ``ucp.status``
  ``error``, ``ucp.capabilities`` empty);
* a response declares only the negotiated capabilities relevant to it (its root and the
  extensions of that root), and drops the fields of extensions that were not negotiated.

When the platform's profile cannot be fetched and the business allows it
(``UcpPolicy.unreachable_profile == "fallback"``, ``docs/ucp.md``), negotiation falls back to
the business's own capabilities (``fallback_negotiation``), as before this module existed.

>>> business = {"dev.ucp.shopping.checkout": [{"version": "2026-04-08"}],
...             "dev.ucp.shopping.discount": [{"version": "2026-04-08",
...                                            "extends": "dev.ucp.shopping.checkout"}]}
>>> intersect(business, {"dev.ucp.shopping.discount": [{"version": "2026-04-08"}]})
{}
>>> intersect(business, business)["dev.ucp.shopping.checkout"]
'2026-04-08'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from trustcart.commerce.ucp import VERSION
from trustcart.commerce.ucp.errors import UcpCode, UcpError
from trustcart.commerce.ucp.profile import AP2_MANDATE, CAPABILITIES

# the body fields an extension adds; dropped from a response when it was not negotiated
EXTENSION_FIELDS = {
    "dev.ucp.shopping.discount": "discounts",
    "dev.ucp.shopping.fulfillment": "fulfillment",
    AP2_MANDATE: "ap2",
}


@dataclass(frozen=True)
class Negotiated:
    """The outcome for one request: the protocol version and the active capabilities."""

    version: str
    capabilities: Mapping[str, str]  # name -> negotiated version
    fallback: bool = False  # the platform's profile could not be read (docs/ucp.md)

    def __post_init__(self) -> None:
        if self.version != VERSION:
            raise ValueError(f"a negotiation is at version {VERSION}")


def business_capabilities() -> dict[str, list[dict[str, Any]]]:
    """Our capabilities as the profile declares them (name -> [{version, extends?}])."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name, (_page, _schema, parent) in CAPABILITIES.items():
        entry: dict[str, Any] = {"version": VERSION}
        if parent is not None:
            entry["extends"] = parent
        out[name] = [entry]
    return out


def _parents(entries: Iterable[Mapping[str, Any]]) -> set[str] | None:
    for entry in entries:
        extends = entry.get("extends")
        if isinstance(extends, str):
            return {extends}
        if isinstance(extends, list):
            return {str(p) for p in extends}
    return None


def intersect(
    business: Mapping[str, list[dict[str, Any]]], platform: Mapping[str, Any]
) -> dict[str, str]:
    """The UCP intersection algorithm (module doc): name -> the highest common version."""
    chosen: dict[str, str] = {}
    for name, ours in business.items():
        theirs = platform.get(name)
        if not isinstance(theirs, list):
            continue
        mutual = {e.get("version") for e in ours} & {
            e.get("version") for e in theirs if isinstance(e, Mapping)
        }
        mutual.discard(None)
        if mutual:
            chosen[name] = max(str(v) for v in mutual)
    changed = True
    while changed:
        changed = False
        for name in list(chosen):
            parents = _parents(business[name])
            if parents is not None and not parents & set(chosen):
                del chosen[name]
                changed = True
    return chosen


def negotiate(platform_version: Any, platform_capabilities: Mapping[str, Any]) -> Negotiated:
    """Negotiate with a platform profile's ``version`` and ``capabilities`` (module doc)."""
    if platform_version != VERSION:
        raise UcpError(
            UcpCode.VERSION_UNSUPPORTED,
            f"protocol version {platform_version} is not supported; this business implements "
            f"{VERSION}",
            status=422,
            path="UCP-Agent",
            transport=True,
        )
    return Negotiated(VERSION, intersect(business_capabilities(), platform_capabilities))


def fallback_negotiation() -> Negotiated:
    """Every capability of ours but the AP2 mandate extension: the documented fallback when a
    profile cannot be read. A platform whose profile we cannot read has not told us it makes
    AP2 mandates, so none is demanded (as for a profile that does not list the extension)."""
    ours = business_capabilities()
    unread = {name: entries for name, entries in ours.items() if name != AP2_MANDATE}
    return Negotiated(VERSION, intersect(ours, unread), True)


def require(negotiated: Negotiated, root: str) -> None:
    """Refuse an operation whose root capability was not negotiated."""
    if root not in negotiated.capabilities:
        raise UcpError(
            UcpCode.CAPABILITIES_INCOMPATIBLE,
            f"the platform's profile and this business share no version of {root}",
            status=200,
            severity="unrecoverable",
        )


def relevant(negotiated: Negotiated, root: str) -> list[str]:
    """The negotiated capabilities a response of ``root`` declares: the root and its extensions.

    >>> relevant(fallback_negotiation(), "dev.ucp.shopping.cart")
    ['dev.ucp.shopping.cart', 'dev.ucp.shopping.discount']
    """
    business = business_capabilities()
    return [
        name
        for name in negotiated.capabilities
        if name == root or root in (_parents(business[name]) or set())
    ]


def shape_response(body: dict[str, Any], negotiated: Negotiated, root: str) -> dict[str, Any]:
    """A success body declaring only what was negotiated for ``root`` (module doc)."""
    meta = body.get("ucp")
    if not isinstance(meta, dict) or meta.get("status") == "error":
        return body
    active = relevant(negotiated, root)
    declared = meta.get("capabilities")
    if isinstance(declared, dict):
        meta = {
            **meta,
            "capabilities": {
                name: [{**entry, "version": negotiated.capabilities[name]} for entry in value]
                for name, value in declared.items()
                if name in active
            },
        }
    shaped = {**body, "ucp": meta}
    business = business_capabilities()
    for extension, field in EXTENSION_FIELDS.items():
        extends_root = root in (_parents(business[extension]) or set())
        if extends_root and extension not in active:
            shaped.pop(field, None)
    return shaped
