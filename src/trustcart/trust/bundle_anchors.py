"""The checks that tie a bundle's keys to parties: trust anchors and who may report what.

Used by ``bundle_checks``. Two questions a bundle cannot answer about itself:

* **whose keys are these?** With trust anchors, every key the bundle lists must be anchored
  for the very party and role the bundle gives it (``check_anchored_keys``), and valid when it
  signed (``check_valid_at``); then "the delegator signed the IAC" means the anchored person
  signed it, and a merchant key can never pass for the person, the PSP, the status service,
  the log or another merchant;
* **had the signer any business reporting this event?** Every event must be initiated by a
  role that ``trust.admission.ADMISSION_RULES`` allows for its type, and by the party this
  purchase names for that role (``check_event_initiator``): the IAC's agent and delegator, the
  cart's merchant, the receipt's payment provider; the offline twin of what the log checks on
  admission.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from trustcart.crypto.keys import PublicKey
from trustcart.trust.admission import ChainFacts, OrderFacts, check_chain_parties, check_initiator
from trustcart.trust.anchors import TrustAnchors
from trustcart.trust.bundle_format import CheckFailed
from trustcart.trust.errors import RecordRefused
from trustcart.trust.events import VerifiedRecord

__all__ = ["check_anchored_keys", "check_event_initiator", "check_valid_at", "purchase_facts"]


def check_anchored_keys(
    anchors: TrustAnchors, keys: Mapping[str, PublicKey], roles: Mapping[str, tuple[str, str]]
) -> str:
    """Every listed key is anchored for the party and role the bundle gives it."""
    for kid in sorted(roles):
        role, party = roles[kid]
        reason = anchors.mismatch(kid, role=role, party=party, key=keys[kid])
        if reason is not None:
            raise CheckFailed(f"{reason} (the bundle lists it as {role} {party})")
    listed = sorted((party, role) for role, party in roles.values())
    return "keys anchored: " + ", ".join(f"{party} ({role})" for party, role in listed)


def check_valid_at(
    anchors: TrustAnchors | None, kid: str, roles: Mapping[str, tuple[str, str]], at: datetime
) -> None:
    """The anchor of ``kid`` covers the instant its signature claims (no-op without anchors)."""
    if anchors is None:
        return
    role, party = roles[kid]
    reason = anchors.mismatch(kid, role=role, party=party, at=at)
    if reason is not None:
        raise CheckFailed(reason)


def purchase_facts(
    iac: Mapping[str, Any], cart: Mapping[str, Any], receipt: Mapping[str, Any], psp: str
) -> ChainFacts:
    """The chain as this purchase's signed artifacts name it (IAC, cart, receipt)."""
    intent, delegation = iac["intent_id"], iac["delegation_id"]
    order, trade = cart["out_trade_no"], receipt["trade_no"]
    return ChainFacts(
        intent_agents={intent: iac["agent_id"]},
        delegations={delegation: (intent, iac["delegator_identity"])},
        orders={order: OrderFacts(intent, delegation, cart["merchant_id"], trade)},
        trades={trade: (order, psp)},
    )


def check_event_initiator(record: VerifiedRecord, facts: ChainFacts) -> None:
    """The record's initiator may report its type, and is the party the purchase names."""
    try:
        check_initiator(record)
        check_chain_parties(record, facts)
    except RecordRefused as e:
        raise CheckFailed(f"{record.record_id}: {e.detail} ({e.code})") from e
