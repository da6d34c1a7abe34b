"""The log checks of an evidence bundle: every required event present and from the right party,
the lifecycle at payment time, the signed tree head, the inclusion proofs and the tree size."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from trustcart.core.clock import parse_instant
from trustcart.crypto.jcs import b64url
from trustcart.trust.admission import SKEW
from trustcart.trust.bundle_anchors import (
    check_event_initiator,
    check_valid_at,
    purchase_facts,
)
from trustcart.trust.bundle_format import (
    REQUIRED_EVENTS,
    CheckFailed,
    equal,
    field,
    need,
    strict_b64url,
)
from trustcart.trust.bundle_state import BundleState
from trustcart.trust.events import EventType, VerifiedRecord, verify_record
from trustcart.trust.merkle import leaf_hash, verify_inclusion
from trustcart.trust.treehead import verify_tree_head


class LogChecks(BundleState):
    """Checks of the transparency log's record of the purchase."""

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
