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
from datetime import datetime
from typing import Any

from trustcart.core.categories import category_within, is_canonical_category
from trustcart.core.clock import parse_instant
from trustcart.core.money import Money
from trustcart.core.payment import PaymentMode, PaymentStatus
from trustcart.core.typs import APPROVAL_TYP, CART_TYP, IAC_TYP, RECEIPT_TYP, STATUS_TYP
from trustcart.crypto.jcs import b64url, jcs_digest
from trustcart.crypto.jws import verify_compact
from trustcart.crypto.keys import PublicKey, keys_from_jwks
from trustcart.delegation.status import STATUS_CLOCK_SKEW
from trustcart.trust.admission import SKEW
from trustcart.trust.anchors import TrustAnchors
from trustcart.trust.bundle_anchors import (
    check_anchored_keys,
    check_event_initiator,
    check_valid_at,
    purchase_facts,
)
from trustcart.trust.bundle_format import (
    BUNDLE_FIELDS,
    BUNDLE_FORMAT,
    COMMERCE_FIELDS,
    REQUIRED_EVENTS,
    REQUIRED_ROLES,
    ROLES,
    CheckFailed,
    equal,
    field,
    instant,
    money,
    need,
    strict_b64url,
    strings,
)
from trustcart.trust.events import EventType, VerifiedRecord, verify_record
from trustcart.trust.merkle import leaf_hash, verify_inclusion
from trustcart.trust.treehead import TreeHead, verify_tree_head


class BundleChecks:
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
    )

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

    # -- helpers --------------------------------------------------------------------------------

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

    # -- structure and keys ---------------------------------------------------------------------

    def check_format(self) -> str:
        if not isinstance(self.bundle, Mapping):
            raise CheckFailed("a bundle is a JSON object")
        missing = BUNDLE_FIELDS - set(self.bundle)
        if missing:
            raise CheckFailed(f"missing fields {sorted(missing)}")
        unknown = set(self.bundle) - BUNDLE_FIELDS
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

    # -- signatures -----------------------------------------------------------------------------

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

    # -- meaning --------------------------------------------------------------------------------

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

    def check_cart_binding(self) -> str:
        cart, iac = need(self.cart, "cart-signature"), need(self.iac, "iac-signature")
        for name in ("delegation_id", "agent_id", "intent_id"):
            equal(f"cart {name}", field(cart, name, str), iac[name])
        method = field(field(cart, "payment", dict), "method_id", str)
        if method not in iac["allowed_payment_methods"]:
            raise CheckFailed(f"payment method {method!r} is not allowed by the IAC")
        return "cart bound to the IAC"

    def check_cart_merchant(self) -> str:
        cart, commerce = need(self.cart, "cart-signature"), self._iac_commerce()
        merchant = cart["merchant_id"]
        allowed = strings(commerce, "allowed_merchants")
        if merchant in strings(commerce, "forbidden_merchants"):
            raise CheckFailed(f"merchant {merchant} is forbidden")
        if allowed and merchant not in allowed:
            raise CheckFailed(f"merchant {merchant} is not among the allowed merchants")
        return f"merchant {merchant} allowed"

    def check_cart_items(self) -> str:
        cart, commerce = need(self.cart, "cart-signature"), self._iac_commerce()
        currency = field(need(self.iac, "iac-signature"), "currency", str)
        allowed = strings(commerce, "allowed_categories")
        forbidden = strings(commerce, "forbidden_categories")
        if not all(is_canonical_category(c) for c in (*allowed, *forbidden)):
            raise CheckFailed("the IAC's category lists are not canonical category paths")
        items = field(cart, "items", list)
        if not items:
            raise CheckFailed("cart has no items")
        subtotal, quantity = Money.zero(currency), 0
        for item in items:
            category, count = field(item, "category", str), field(item, "quantity", int)
            if count < 1:
                raise CheckFailed("item quantity must be positive")
            if not is_canonical_category(category):
                raise CheckFailed(f"category {category!r} is not a canonical category path")
            if any(category_within(category, c) for c in forbidden) or (
                allowed and not any(category_within(category, c) for c in allowed)
            ):
                raise CheckFailed(f"category {category} is not allowed by the IAC")
            line = money(item, "line_total")
            equal("line_total", line, money(item, "unit_price") * count)
            subtotal, quantity = subtotal + line, quantity + count
        equal("subtotal", money(cart, "subtotal"), subtotal)
        total = money(cart, "subtotal") - money(cart, "discount") + money(cart, "shipping")
        equal("total", money(cart, "total"), total)
        limit = commerce.get("max_total_quantity")
        if limit is not None and (not isinstance(limit, int) or quantity > limit):
            raise CheckFailed(f"{quantity} items exceed max_total_quantity {limit}")
        return f"{len(items)} lines, {quantity} items, total {total}"

    def check_receipt_matches_cart(self) -> str:
        receipt, cart = need(self.receipt, "receipt-signature"), need(self.cart, "cart-signature")
        iac = need(self.iac, "iac-signature")
        equal("receipt cart_digest", field(receipt, "cart_digest", str), jcs_digest(cart))
        for name in ("out_trade_no", "merchant_id"):
            equal(f"receipt {name}", field(receipt, name, str), cart[name])
        equal("receipt amount", money(receipt, "amount"), money(cart, "total"))
        psp = self.roles[self.role_kid["psp"]][1]
        equal("payment provider", psp, field(field(cart, "payment", dict), "psp_id", str))
        for name in ("delegation_id", "agent_id"):
            equal(f"receipt {name}", field(receipt, name, str), iac[name])
        equal("receipt status", field(receipt, "status", str), PaymentStatus.SUCCESS.value)
        return f"receipt pays {money(receipt, 'amount')} for {cart['out_trade_no']}"

    def check_amount_within_limits(self) -> str:
        receipt = need(self.receipt, "receipt-signature")
        amount = money(receipt, "amount")
        max_total = need(self._iac_amount("max_total_amount"), "max_total_amount")
        equal("currency", amount.currency, max_total.currency)
        max_single, min_single = (
            self._iac_amount("max_single_amount"),
            self._iac_amount("min_single_amount"),
        )
        if max_single is not None and amount > max_single:
            raise CheckFailed(f"{amount} exceeds max_single_amount {max_single}")
        if min_single is not None and amount < min_single:
            raise CheckFailed(f"{amount} is below min_single_amount {min_single}")
        budget = field(receipt, "budget", dict)
        spent = money(budget, "spent")
        if not amount <= spent <= max_total:
            raise CheckFailed(f"cumulative spend {spent} is outside [{amount}, {max_total}]")
        equal("budget remaining", money(budget, "remaining"), max_total - spent)
        if field(budget, "count", int) < 1:
            raise CheckFailed("budget count must include this payment")
        limit = self._iac_commerce().get("max_total_quantity")
        if limit is not None and field(budget, "quantity", int) > limit:
            raise CheckFailed("cumulative quantity exceeds max_total_quantity")
        return f"{amount}; spent {spent} of {max_total}"

    def check_approval(self) -> str:
        receipt = need(self.receipt, "receipt-signature")
        mode = field(receipt, "mode", str)
        if mode not in tuple(PaymentMode):
            raise CheckFailed(f"unknown payment mode {mode!r}")
        if self._get("approval") is None:
            if mode == PaymentMode.L1:
                raise CheckFailed("an L1 payment needs the delegator's approval")
            return "L2: no approval needed"
        approval, _ = self._signed("approval", "delegator", APPROVAL_TYP)
        self._valid_at("delegator", instant(approval, "approved_at"))
        for name in ("out_trade_no", "merchant_id", "cart_digest", "delegation_id", "agent_id"):
            equal(f"approval {name}", field(approval, name, str), receipt[name])
        equal("approval amount", money(approval, "amount"), money(receipt, "amount"))
        if instant(approval, "approved_at") > need(self.paid_at, "receipt-signature"):
            raise CheckFailed("approval is later than the payment")
        return f"{mode}: approved at {approval['approved_at']}"

    def check_events(self) -> str:
        keys, iac = need(self.keys, "keys"), need(self.iac, "iac-signature")
        cart, receipt = need(self.cart, "cart-signature"), need(self.receipt, "receipt-signature")
        paid_at = need(self.paid_at, "receipt-signature")
        events = field(self.bundle, "events", list)
        expected = {
            "intent_id": iac["intent_id"],
            "delegation_id": iac["delegation_id"],
            "out_trade_no": cart["out_trade_no"],
            "trade_no": receipt["trade_no"],
        }
        facts = purchase_facts(iac, cart, receipt, self.roles[self.role_kid["psp"]][1])
        records: list[tuple[VerifiedRecord, Any]] = []
        for event in events:
            if not isinstance(event, dict) or set(event) != {
                "record",
                "leaf_index",
                "inclusion_proof",
            }:
                raise CheckFailed("an event is exactly {record, leaf_index, inclusion_proof}")
            record = verify_record(field(event, "record", str), keys)
            for person in record.participants:
                if self.roles.get(person.kid) != (person.role, person.id):
                    raise CheckFailed(
                        f"{record.record_id}: participant {person.id} does not match its key's role"
                    )
            for name, value in record.chain.to_json().items():
                equal(f"{record.record_id} chain.{name}", value, expected[name])
            check_valid_at(self.anchors, record.initiator.kid, self.roles, record.event_time)
            check_event_initiator(record, facts)
            records.append((record, event))
        if len({r.record_id for r, _ in records}) != len(records):
            raise CheckFailed("a record appears twice")
        for kind, chain_ids in REQUIRED_EVENTS.items():
            matching = [r for r, _ in records if r.event_type is kind]
            if not matching:
                raise CheckFailed(f"missing event {kind.value}")
            if not any(all(getattr(r.chain, n) for n in chain_ids) for r in matching):
                raise CheckFailed(f"{kind.value} lacks chain ids {chain_ids}")
        self._check_lifecycle_at(records, paid_at)
        self.records = records
        return f"{len(records)} events verified"

    @staticmethod
    def _check_lifecycle_at(records: list[tuple[VerifiedRecord, Any]], paid_at: datetime) -> None:
        # Replay the delegation's lifecycle events up to the payment: it must be usable then.
        usable = True
        for record, _ in sorted(records, key=lambda pair: pair[0].event_time):
            if record.event_time > paid_at:
                break
            if record.event_type in (EventType.DELEGATION_REVOKED, EventType.DELEGATION_EXPIRED):
                raise CheckFailed(f"{record.event_type.value} before the payment")
            if record.event_type is EventType.DELEGATION_SUSPENDED:
                usable = False
            elif record.event_type is EventType.DELEGATION_RESUMED:
                usable = True
        if not usable:
            raise CheckFailed("the delegation was suspended at the payment time")

    def check_tree_head(self) -> str:
        keys = need(self.keys, "keys")
        kid = self.role_kid["log"]
        head = verify_tree_head(field(self.bundle, "tree_head", str), {kid: keys[kid]})
        equal("tree head log_id", head.log_id, self.roles[kid][1])
        self._valid_at("log", parse_instant(head.timestamp))
        self.head = head
        return f"{head.log_id} size {head.tree_size} at {head.timestamp}"

    def check_inclusion_proofs(self) -> str:
        head, records = need(self.head, "tree-head"), need(self.records, "events")
        for record, event in records:
            index = field(event, "leaf_index", int)
            proof = [strict_b64url(p, 32) for p in field(event, "inclusion_proof", list)]
            verify_inclusion(
                index,
                head.tree_size,
                leaf_hash(record.token.encode("utf-8")),
                proof,
                head.root_hash,
            )
        if len({field(e, "leaf_index", int) for _, e in records}) != len(records):
            raise CheckFailed("two events claim one leaf")
        return f"{len(records)} events included under root {b64url(head.root_hash)[:12]}..."

    def check_tree_size(self) -> str:
        head, records = need(self.head, "tree-head"), need(self.records, "events")
        stamped = parse_instant(head.timestamp)
        for record, event in records:
            if not 0 <= field(event, "leaf_index", int) < head.tree_size:
                raise CheckFailed(f"leaf {event['leaf_index']} is beyond tree size")
            # The log admits a record stamped up to SKEW.max_ahead past its own clock.
            if record.created_at > stamped + SKEW.max_ahead:
                raise CheckFailed(f"{record.record_id} was created after the tree head")
        return f"tree size {head.tree_size} covers every event"
