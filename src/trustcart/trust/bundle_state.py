"""The state one verification run of an evidence bundle builds up, and its helpers.

``BundleChecks`` (``bundle_checks``) and its parts (``bundle_purchase_checks``,
``bundle_log_checks``) share it: each check records what it established (the verified payloads,
the keys by role) so later checks can depend on it, or fail with "depends on ..." if it could
not be established.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from trustcart.core.money import Money
from trustcart.crypto.jws import verify_compact
from trustcart.crypto.keys import PublicKey
from trustcart.trust.anchors import TrustAnchors
from trustcart.trust.bundle_anchors import (
    check_valid_at,
)
from trustcart.trust.bundle_format import (
    COMMERCE_FIELDS,
    CheckFailed,
    field,
    need,
)
from trustcart.trust.events import VerifiedRecord
from trustcart.trust.treehead import TreeHead


class BundleState:
    """What the checks of one run have established so far."""

    def __init__(self, bundle: Any, anchors: TrustAnchors | None) -> None:
        self.bundle = bundle
        self.anchors = anchors
        self.keys: dict[str, PublicKey] | None = None
        self.roles: dict[str, tuple[str, str]] = {}
        self.role_kid: dict[str, str] = {}
        self.isr: dict[str, Any] | None = None
        self.iac: dict[str, Any] | None = None
        self.status: dict[str, Any] | None = None
        self.cart: dict[str, Any] | None = None
        self.receipt: dict[str, Any] | None = None
        self.paid_at: datetime | None = None
        self.records: list[tuple[VerifiedRecord, Any]] | None = None
        self.head: TreeHead | None = None

    def _get(self, name: str) -> Any:
        if not isinstance(self.bundle, Mapping) or name not in self.bundle:
            raise CheckFailed(f"bundle has no {name!r}")
        return self.bundle[name]

    def _signed(self, name: str, role: str, typ: str) -> tuple[dict[str, Any], str]:
        """Verify the bundle's JWS ``name`` with the key of ``role``; return payload and party."""
        keys = need(self.keys, "keys")
        kid = self.role_kid.get(role)
        if kid is None:
            raise CheckFailed(f"no key with role {role!r}")
        token = self._get(name)
        if not isinstance(token, str):
            raise CheckFailed(f"{name} must be a compact JWS")
        payload = verify_compact(token, {kid: keys[kid]}, typ=typ).payload
        return payload, self.roles[kid][1]

    def _valid_at(self, role: str, at: datetime) -> None:
        check_valid_at(self.anchors, self.role_kid[role], self.roles, at)

    def _iac_commerce(self) -> dict[str, Any]:
        iac = need(self.iac, "iac-signature")
        commerce = field(field(iac, "ext", dict), "commerce", dict)
        unknown = set(commerce) - COMMERCE_FIELDS
        if unknown:  # an unknown constraint might narrow the grant: refuse, do not ignore
            raise CheckFailed(f"unknown ext.commerce constraints {sorted(unknown)}")
        return commerce

    def _iac_amount(self, name: str) -> Money | None:
        iac = need(self.iac, "iac-signature")
        value = self._iac_commerce().get(name) if name != "max_total_amount" else iac[name]
        if value is None:
            return None
        if not isinstance(value, str):
            raise CheckFailed(f"{name} must be a decimal string")
        return Money.parse(value, field(iac, "currency", str))
