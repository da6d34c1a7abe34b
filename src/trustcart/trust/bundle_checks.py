"""The checks behind ``verify_bundle`` (TSD-ATT-SVF, offline). Used through ``evidence``.

Each check is a method that returns a short detail or raises ``CheckFailed``; the runner in
``trustcart.trust.evidence`` records any other exception as a failure too, so a missing field,
a wrong type or a parse error always fails closed. A check that needs a value an earlier check
could not establish (``need``) fails with "depends on ..." rather than being skipped.

Keys come only from the bundle's own ``keys``; every signed object is verified with the key
whose *role* matches its kind, and the role's ``id`` must be the party the payload names. On
their own these keys prove only that the bundle agrees with itself: with trust anchors
(``trust.anchors``), every key must also be anchored for that party and role and valid when it
signed (``trust.bundle_anchors``), which is what makes a merchant key unable to sign as the
person, the PSP, the status service, the log or another merchant.
"""

from __future__ import annotations

from collections.abc import Mapping

from trustcart.core.typs import CART_TYP, IAC_TYP, RECEIPT_TYP, STATUS_TYP
from trustcart.crypto.jcs import jcs_digest
from trustcart.crypto.keys import keys_from_jwks
from trustcart.delegation.status import STATUS_CLOCK_SKEW
from trustcart.trust.bundle_anchors import (
    check_anchored_keys,
)
from trustcart.trust.bundle_format import (
    BUNDLE_FIELDS,
    BUNDLE_FORMAT,
    OPTIONAL_FIELDS,
    REQUIRED_ROLES,
    ROLES,
    CheckFailed,
    equal,
    field,
    instant,
    need,
)
from trustcart.trust.bundle_log_checks import LogChecks
from trustcart.trust.bundle_purchase_checks import PurchaseChecks
from trustcart.trust.bundle_witness_checks import WitnessChecks


class BundleChecks(PurchaseChecks, LogChecks, WitnessChecks):
    """One verification run over one bundle; ``run`` order is ``CHECK_ORDER``."""

    CHECK_ORDER = (
        "format",
        "keys",
        "trust-anchors",
        "isr",
        "iac-signature",
        "iac-isr-digest",
        "status-signature",
        "cart-signature",
        "receipt-signature",
        "status-active",
        "iac-validity",
        "cart-binding",
        "cart-merchant",
        "cart-items",
        "receipt-matches-cart",
        "amount-within-limits",
        "approval",
        "events",
        "tree-head",
        "inclusion-proofs",
        "tree-size",
        "witness-anchor",
    )

    def check_format(self) -> str:
        if not isinstance(self.bundle, Mapping):
            raise CheckFailed("a bundle is a JSON object")
        missing = BUNDLE_FIELDS - set(self.bundle)
        if missing:
            raise CheckFailed(f"missing fields {sorted(missing)}")
        unknown = set(self.bundle) - BUNDLE_FIELDS - OPTIONAL_FIELDS
        if unknown:
            raise CheckFailed(f"unknown fields {sorted(unknown)} for {BUNDLE_FORMAT}")
        equal("format", self.bundle["format"], BUNDLE_FORMAT)
        equal("kind", self.bundle["kind"], "purchase")
        instant(self.bundle, "created_at")
        return BUNDLE_FORMAT

    def check_keys(self) -> str:
        keys_obj = field(self.bundle, "keys", dict)
        jwks = field(keys_obj, "jwks", dict)
        entries = field(jwks, "keys", list)
        parsed = keys_from_jwks(jwks)  # refuses a kid that is not the RFC 7638 thumbprint
        if len(parsed) != len(entries) or not all(
            isinstance(e, dict) and "kid" in e for e in entries
        ):
            raise CheckFailed("every JWK needs its own kid, once")
        roles = field(keys_obj, "roles", dict)
        if set(roles) != set(parsed):
            raise CheckFailed("keys.roles must name exactly the keys in keys.jwks")
        for kid, entry in roles.items():
            if not isinstance(entry, dict) or set(entry) != {"role", "id"}:
                raise CheckFailed(f"role of {kid} must be exactly {{role, id}}")
            role, party = field(entry, "role", str), field(entry, "id", str)
            if role not in ROLES:
                raise CheckFailed(f"unknown role {role!r}")
            if role in self.role_kid:
                raise CheckFailed(f"more than one key with role {role!r}")
            self.role_kid[role] = kid
            self.roles[kid] = (role, party)
        absent = [role for role in REQUIRED_ROLES if role not in self.role_kid]
        if absent:
            raise CheckFailed(f"no key for roles {absent}")
        self.keys = parsed
        return f"{len(parsed)} keys: " + ", ".join(sorted(self.role_kid))

    def check_trust_anchors(self) -> str:
        anchors, keys = need(self.anchors, "trust anchors"), need(self.keys, "keys")
        return check_anchored_keys(anchors, keys, self.roles)

    def check_isr(self) -> str:
        isr = field(self.bundle, "isr", dict)
        field(isr, "intent_id", str)
        self.isr = isr
        return str(isr["intent_id"])

    def check_iac_signature(self) -> str:
        iac, delegator = self._signed("iac", "delegator", IAC_TYP)
        equal("delegator_identity", field(iac, "delegator_identity", str), delegator)
        self._valid_at("delegator", instant(iac, "iat" if "iat" in iac else "validity_start_time"))
        for name in ("delegation_id", "intent_id", "agent_id", "currency", "source_isr_digest"):
            field(iac, name, str)
        start, end = instant(iac, "validity_start_time"), instant(iac, "validity_end_time")
        if end < start:
            raise CheckFailed("validity window ends before it starts")
        field(iac, "allowed_payment_methods", list)
        self.iac = iac
        self._iac_commerce()
        need(self._iac_amount("max_total_amount"), "max_total_amount")
        return f"{iac['delegation_id']} signed by {delegator}"

    def check_iac_isr_digest(self) -> str:
        iac, isr = need(self.iac, "iac-signature"), need(self.isr, "isr")
        equal("source_isr_digest", iac["source_isr_digest"], jcs_digest(isr))
        equal("isr.intent_id", isr["intent_id"], iac["intent_id"])
        return "ISR digest matches"

    def check_status_signature(self) -> str:
        status, _ = self._signed("status", "status", STATUS_TYP)
        self._valid_at("status", instant(status, "checked_at"))
        field(status, "delegation_id", str)
        field(status, "status", str)
        if instant(status, "valid_until") < instant(status, "checked_at"):
            raise CheckFailed("status valid_until is before checked_at")
        self.status = status
        return f"{status['status']} at {status['checked_at']}"

    def check_cart_signature(self) -> str:
        cart, merchant = self._signed("cart", "merchant", CART_TYP)
        equal("cart merchant_id", field(cart, "merchant_id", str), merchant)
        self._valid_at("merchant", instant(cart, "confirmed_at"))
        field(cart, "out_trade_no", str)
        self.cart = cart
        return f"{cart['out_trade_no']} signed by {merchant}"

    def check_receipt_signature(self) -> str:
        receipt, _ = self._signed("receipt", "psp", RECEIPT_TYP)
        self._valid_at("psp", instant(receipt, "paid_at"))
        self.paid_at = instant(receipt, "paid_at")
        field(receipt, "trade_no", str)
        self.receipt = receipt
        return f"{receipt['trade_no']} paid at {receipt['paid_at']}"

    def check_status_active(self) -> str:
        status, iac = need(self.status, "status-signature"), need(self.iac, "iac-signature")
        paid_at = need(self.paid_at, "receipt-signature")
        equal("status delegation_id", status["delegation_id"], iac["delegation_id"])
        equal("credential status", status["status"], "Active")
        checked_at = instant(status, "checked_at") - STATUS_CLOCK_SKEW
        if not checked_at <= paid_at <= instant(status, "valid_until"):
            raise CheckFailed("the Active status does not cover the payment time")
        return f"Active from {status['checked_at']} until {status['valid_until']}"

    def check_iac_validity(self) -> str:
        iac, paid_at = need(self.iac, "iac-signature"), need(self.paid_at, "receipt-signature")
        # Half open, as at the PSP: at validity_end_time the credential is already Expired.
        if not instant(iac, "validity_start_time") <= paid_at < instant(iac, "validity_end_time"):
            raise CheckFailed("payment time is outside the IAC validity window")
        return "payment inside the validity window"
