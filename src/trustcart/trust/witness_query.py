"""TSD-ATT-SVF step 5 online: ask the witness itself for the bundle's covering anchor.

The offline check (``bundle_witness_checks``) trusts the receipt the bundle carries; this one
asks the witness (``WitnessPort``: ``HttpWitness`` for ``trustcart verify --witness-url``)
whether it still holds that anchor, and the same content:

* the witness does not hold the anchor id: ``ANCHOR_NOT_FOUND``;
* it holds other content under it (another root, another chain hash): ``CHAIN_HASH_MISMATCH``;
* it cannot be asked within SVF's budget (30 s, 3 retries: ``witness-unavailable``):
  ``ANCHOR_QUERY_TIMEOUT``, never ``VERIFIED`` nor a mismatch;
* else ``VERIFIED``.

A bundle without ``anchors`` is ``ANCHOR_NOT_FOUND``: there is nothing to ask about.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.jws import peek_payload
from trustcart.trust.chain_anchor import AnchorClaims
from trustcart.trust.errors import InvalidTreeHead, WitnessError
from trustcart.trust.svf import SvfResult
from trustcart.trust.witness import WitnessPort, WitnessRefusal, same_anchor

__all__ = ["query_witness"]


def query_witness(bundle: Mapping[str, Any], witness: WitnessPort) -> tuple[SvfResult, str]:
    """SVF's anchor result for ``bundle`` as the witness answers now, with a reason."""
    anchors = bundle.get("anchors") if isinstance(bundle, Mapping) else None
    if not isinstance(anchors, list) or not anchors or not isinstance(anchors[-1], Mapping):
        return SvfResult.ANCHOR_NOT_FOUND, "the bundle carries no anchor"
    try:
        shown = AnchorClaims.from_json(peek_payload(str(anchors[-1].get("anchor"))))
    except (InvalidSignature, InvalidTreeHead) as e:
        return SvfResult.CHAIN_HASH_MISMATCH, f"the bundle's anchor is malformed: {e}"
    try:
        held = witness.fetch(shown.anchor_id)
    except WitnessError as e:
        if e.code == WitnessRefusal.WITNESS_UNAVAILABLE:
            return SvfResult.ANCHOR_QUERY_TIMEOUT, e.detail
        raise
    if held is None:
        return SvfResult.ANCHOR_NOT_FOUND, f"the witness holds no anchor {shown.anchor_id}"
    try:
        kept = AnchorClaims.from_json(peek_payload(held.anchor))
    except (InvalidSignature, InvalidTreeHead):
        return SvfResult.CHAIN_HASH_MISMATCH, "the witness holds a malformed anchor"
    if not same_anchor(kept, shown):
        return SvfResult.CHAIN_HASH_MISMATCH, f"the witness holds other content as {kept.anchor_id}"
    return SvfResult.VERIFIED, f"the witness holds {kept.anchor_id} at height {held.height}"
