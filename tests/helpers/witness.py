"""Witness anchors for the test bundles of ``tests.helpers.bundles``, made the way the witness
makes them (anchor signed by the log key, receipt by the witness key), with hooks to tamper."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from tests.helpers.bundles import ANCHORS, IDS, KEYS
from tests.helpers.clock import T0
from trustcart.crypto.keys import SigningKey
from trustcart.trust.anchors import Anchor, TrustAnchors
from trustcart.trust.chain_anchor import (
    AnchorClaims,
    WitnessReceipt,
    anchor_for,
    sign_anchor,
    sign_receipt,
)
from trustcart.trust.merkle import EMPTY_ROOT
from trustcart.trust.treehead import TreeHead, verify_tree_head

WITNESS_KEY = SigningKey.generate()
WITNESS_ID = "witness:trustcart"
WITNESS_ANCHORS = TrustAnchors(
    (*ANCHORS.anchors, Anchor(WITNESS_KEY.public, WITNESS_ID, ("witness",)))
)
Payload = dict[str, Any]


def anchor_entry(
    claims: AnchorClaims, height: int, *, signer: SigningKey | None = None
) -> dict[str, str]:
    token = sign_anchor(claims, signer or KEYS["log"])
    receipt = WitnessReceipt.of(token, claims, height, WITNESS_ID, T0 + timedelta(minutes=11))
    return {"anchor": token, "receipt": sign_receipt(receipt, WITNESS_KEY)}


def anchored(
    bundle: Payload,
    *,
    witness_key: SigningKey = WITNESS_KEY,
    witness_role: str = "witness",
    covering: Callable[[AnchorClaims], AnchorClaims] = lambda c: c,
) -> Payload:
    """``bundle`` with two anchors: the empty tree (height 0), then its own head (height 1)."""
    head = verify_tree_head(bundle["tree_head"], {KEYS["log"].kid: KEYS["log"].public})
    issued = T0 + timedelta(minutes=11)
    first = anchor_for(TreeHead(IDS["log"], 0, EMPTY_ROOT, head.timestamp), None, issued_at=issued)
    second = covering(anchor_for(head, first, issued_at=issued))
    bundle = {**bundle, "anchors": [anchor_entry(first, 0), anchor_entry(second, 1)]}
    bundle["keys"] = {
        "jwks": {"keys": [*bundle["keys"]["jwks"]["keys"], witness_key.public.to_jwk()]},
        "roles": {
            **bundle["keys"]["roles"],
            witness_key.kid: {"role": witness_role, "id": WITNESS_ID},
        },
    }
    return bundle
