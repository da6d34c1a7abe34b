"""The witness check of an evidence bundle: the anchors that cover its tree head (TSD-ATT-SVF
step 5, offline). Used through ``bundle_checks``.

A bundle's optional ``anchors`` is a list of one or two entries, oldest first::

    [{"anchor": "<act-anchor+jwt>", "receipt": "<act-anchor-receipt+jwt>"},      # previous
     {"anchor": "...", "receipt": "...", "consistency_proof": ["<b64url>", ...]}]  # covering

The check runs TSD-ATT-SVF's steps in order and fails with the step's code
(``AnchorCheckFailed.code``):

1. ``PUBLIC_KEY_UNAVAILABLE``: the bundle lists no ``witness`` key (with trust anchors, the
   ``trust-anchors`` check has already refused a witness key not anchored as a witness), or the
   witness key is not valid when it signed the receipt;
2. ``SIGNATURE_INVALID``: an anchor not signed by the bundle's log key for the log's party, or a
   receipt not signed by the witness key for the witness's party;
3. ``ANCHOR_NOT_FOUND``: a receipt that is not for its anchor (another id or another anchor
   hash): the witness has not vouched for holding this anchor;
4. ``CHAIN_HASH_MISMATCH``: an anchor whose ``chain_hash`` does not follow from its
   ``prev_chain_hash`` and ``payload_hash``, two entries that do not link (id, chain hash,
   height), a receipt whose chain hash differs, or a covering anchor whose hash is not the
   recomputed hash of the bundle's head (same size) nor extends it (larger, by the
   consistency proof).

Without ``anchors`` the check passes with "not anchored" (``NOT_ANCHORED``): bundles written
before anchoring still verify as they did; the report's SVF result is then ``ANCHOR_NOT_FOUND``
and ``verify_bundle(require_anchor=True)`` (``trustcart verify --require-anchor``) refuses it.
"""

from __future__ import annotations

from typing import Any

from trustcart.core.clock import parse_instant
from trustcart.crypto.errors import InvalidSignature
from trustcart.trust.bundle_format import CheckFailed, field, need, strict_b64url
from trustcart.trust.bundle_state import BundleState
from trustcart.trust.chain_anchor import (
    AnchorClaims,
    WitnessReceipt,
    anchor_hash,
    next_chain_hash,
    tree_head_hash,
    verify_anchor,
    verify_receipt,
)
from trustcart.trust.errors import InvalidProof, InvalidTreeHead
from trustcart.trust.merkle import verify_consistency

NOT_ANCHORED = "not anchored: the bundle carries no witness anchor (ANCHOR_NOT_FOUND)"

__all__ = ["NOT_ANCHORED", "AnchorCheckFailed", "WitnessChecks"]


class AnchorCheckFailed(CheckFailed):
    """A witness check failed with a TSD-ATT-SVF result ``code``."""

    def __init__(self, code: str, detail: str) -> None:
        self.code = code
        super().__init__(f"{code}: {detail}")


class WitnessChecks(BundleState):
    """The check of the witness's anchors over the bundle's tree head."""

    require_anchor = False

    def _entries(self) -> list[dict[str, Any]] | None:
        if "anchors" not in self.bundle:
            return None
        entries = field(self.bundle, "anchors", list)
        if not 1 <= len(entries) <= 2:
            raise CheckFailed("anchors holds the covering anchor and at most its predecessor")
        for i, entry in enumerate(entries):
            allowed = {"anchor", "receipt"} | (
                {"consistency_proof"} if i == len(entries) - 1 else set()
            )
            if not isinstance(entry, dict) or not {"anchor", "receipt"} <= set(entry) <= allowed:
                raise CheckFailed("an anchors entry is {anchor, receipt[, consistency_proof]}")
        return entries

    def check_witness_anchor(self) -> str:
        entries = self._entries()
        if entries is None:
            if self.require_anchor:
                raise AnchorCheckFailed("ANCHOR_NOT_FOUND", "the bundle carries no anchor")
            return NOT_ANCHORED
        keys = need(self.keys, "keys")
        need(self.head, "tree-head")
        log_kid, witness_kid = self.role_kid["log"], self.role_kid.get("witness")
        if witness_kid is None:
            raise AnchorCheckFailed("PUBLIC_KEY_UNAVAILABLE", "the bundle lists no witness key")
        log_party, witness_party = self.roles[log_kid][1], self.roles[witness_kid][1]
        verified: list[tuple[AnchorClaims, WitnessReceipt]] = []
        for entry in entries:
            anchor, receipt = field(entry, "anchor", str), field(entry, "receipt", str)
            try:
                claims = verify_anchor(anchor, {log_kid: keys[log_kid]})
                held = verify_receipt(receipt, {witness_kid: keys[witness_kid]})
            except InvalidSignature as e:
                raise AnchorCheckFailed("SIGNATURE_INVALID", "an anchor or receipt") from e
            except InvalidTreeHead as e:
                raise AnchorCheckFailed("SIGNATURE_INVALID", f"malformed: {e}") from e
            if claims.submitter != log_party or claims.log_id != log_party:
                raise AnchorCheckFailed("SIGNATURE_INVALID", f"anchor of {claims.submitter}")
            if held.witness_id != witness_party:
                raise AnchorCheckFailed("SIGNATURE_INVALID", f"receipt of {held.witness_id}")
            try:
                self._valid_at("witness", parse_instant(held.recorded_at))
            except CheckFailed as e:
                raise AnchorCheckFailed("PUBLIC_KEY_UNAVAILABLE", str(e)) from e
            if held.anchor_id != claims.anchor_id or held.anchor_hash != anchor_hash(anchor):
                raise AnchorCheckFailed(
                    "ANCHOR_NOT_FOUND", f"the witness's receipt is not for {claims.anchor_id}"
                )
            if held.chain_hash != claims.chain_hash or claims.chain_hash != next_chain_hash(
                claims.prev_chain_hash, claims.payload_hash
            ):
                raise AnchorCheckFailed("CHAIN_HASH_MISMATCH", f"{claims.anchor_id} chain hash")
            verified.append((claims, held))
        if len(verified) == 2:
            (before, before_at), (after, after_at) = verified
            if not after.links_to(before) or after_at.height <= before_at.height:
                raise AnchorCheckFailed(
                    "CHAIN_HASH_MISMATCH", f"{after.anchor_id} does not follow {before.anchor_id}"
                )
        covering, covering_receipt = verified[-1]
        self._check_covers(covering, entries[-1])
        return (
            f"anchor {covering.anchor_id} held by {witness_party} "
            f"at height {covering_receipt.height}, "
            f"chain hash {covering.chain_hash[:12]}..."
        )

    def _check_covers(self, claims: AnchorClaims, entry: dict[str, Any]) -> None:
        head = need(self.head, "tree-head")
        proof_field = entry.get("consistency_proof")
        if claims.tree_size == head.tree_size:
            if proof_field is not None or not claims.covers(
                head.log_id, head.tree_size, head.root_hash
            ):
                raise AnchorCheckFailed(
                    "CHAIN_HASH_MISMATCH", "the anchored hash is not the bundle head's"
                )
            return
        if claims.tree_size < head.tree_size or proof_field is None:
            raise AnchorCheckFailed(
                "CHAIN_HASH_MISMATCH",
                f"anchor of size {claims.tree_size} does not cover head size {head.tree_size}",
            )
        proof = [strict_b64url(p, 32) for p in field(entry, "consistency_proof", list)]
        root = strict_b64url(claims.root_hash, 32)
        if claims.payload_hash != tree_head_hash(claims.log_id, claims.tree_size, root):
            raise AnchorCheckFailed("CHAIN_HASH_MISMATCH", "the anchor's hash is not its head's")
        try:
            verify_consistency(head.tree_size, claims.tree_size, head.root_hash, root, proof)
        except InvalidProof as e:
            raise AnchorCheckFailed(
                "CHAIN_HASH_MISMATCH", f"the anchor does not extend: {e}"
            ) from e
        if claims.log_id != head.log_id:
            raise AnchorCheckFailed("CHAIN_HASH_MISMATCH", "the anchor is of another log")
