"""The log's side of anchoring: anchor the latest signed tree head into the witness.

``LogAnchorer.anchor`` runs periodically (``local.upkeep``'s ``anchor`` job) and when an
evidence bundle is written (``bundle_anchors``). Rules:

* the log chains each anchor to *its own* last anchor (``trust_log_anchors``), never to what a
  witness says is last, so a witness that dropped or rewrote an anchor refuses the next one
  (``anchor-chain-broken``) instead of silently re-basing the chain;
* a head no larger than the last anchored one is not anchored again: it is covered by the last
  anchor (equal size: the same root, else ``anchor-fork``; smaller: by a consistency proof);
* the witness's answer is checked before it is kept: its receipt must be signed by a witness key
  (``witness_keys``), name this anchor's id and hash, and hold this very content
  (``witness-receipt-invalid``).

``bundle_anchors`` returns what a bundle carries in ``anchors``: the anchor covering its head
and the one before it (so the chain link is checkable offline), each with its receipt.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select

from trustcart.core.clock import Clock, format_instant
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.jcs import b64url
from trustcart.crypto.jws import peek_header
from trustcart.crypto.keys import PublicKey, SigningKey
from trustcart.store.db import Database
from trustcart.store.upsert import insert_or_ignore
from trustcart.store.witness import LogAnchorRow
from trustcart.trust.chain_anchor import (
    AnchorClaims,
    anchor_for,
    anchor_hash,
    sign_anchor,
    verify_anchor,
    verify_receipt,
)
from trustcart.trust.errors import InvalidTreeHead, WitnessError
from trustcart.trust.log import TransparencyLog
from trustcart.trust.treehead import verify_tree_head
from trustcart.trust.witness import AnchorEntry, WitnessPort, WitnessRefusal, same_anchor

__all__ = ["LogAnchorer"]

_ATTEMPTS = 3


class LogAnchorer:
    """Anchors one log's tree heads into one witness."""

    def __init__(
        self,
        db: Database,
        log: TransparencyLog,
        log_key: SigningKey,
        witness: WitnessPort,
        *,
        witness_keys: Callable[[str], PublicKey | None],
        clock: Clock,
    ) -> None:
        if log_key.kid != log.public_key.kid:
            raise WitnessError(
                WitnessRefusal.WITNESS_CONFIG, "the anchorer signs with the log's own key"
            )
        self.db, self.log, self.clock = db, log, clock
        self._key = log_key
        self._witness = witness
        self._witness_keys = witness_keys

    def _latest(self) -> LogAnchorRow | None:
        with self.db.read() as session:
            return session.execute(
                select(LogAnchorRow)
                .where(LogAnchorRow.log_id == self.log.log_id)
                .order_by(LogAnchorRow.tree_size.desc())
                .limit(1)
            ).scalar_one_or_none()

    def _row(self, anchor_id: str | None) -> LogAnchorRow | None:
        if anchor_id is None:
            return None
        with self.db.read() as session:
            return session.get(LogAnchorRow, anchor_id)

    def _claims(self, token: str) -> AnchorClaims:
        return verify_anchor(token, {self._key.kid: self._key.public})

    def anchor(self, tree_head: str | None = None) -> AnchorEntry:
        """Anchor ``tree_head`` (default: the log's newest) unless an anchor covers it already;
        return the entry that covers it.

        Another process of the installation anchoring at the same moment can make the witness
        refuse this one (``anchor-chain-broken``: the other's anchor came first); the log's own
        table then holds it, so the anchor is built again on top of it, up to 3 times.
        """
        for attempt in range(_ATTEMPTS):
            try:
                return self._anchor(tree_head)
            except WitnessError as e:
                if e.code != WitnessRefusal.ANCHOR_CHAIN_BROKEN or attempt == _ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def _anchor(self, tree_head: str | None) -> AnchorEntry:
        token = tree_head if tree_head is not None else self.log.tree_head()
        head = verify_tree_head(token, {self._key.kid: self._key.public})
        latest = self._latest()
        if latest is not None and latest.tree_size >= head.tree_size:
            if latest.tree_size == head.tree_size and not self._claims(latest.anchor_jws).covers(
                head.log_id, head.tree_size, head.root_hash
            ):
                raise WitnessError(
                    WitnessRefusal.ANCHOR_FORK, f"size {head.tree_size} has another root"
                )
            return AnchorEntry(latest.anchor_jws, latest.receipt_jws, -1)
        previous = None if latest is None else self._claims(latest.anchor_jws)
        claims = anchor_for(head, previous, issued_at=self.clock.now())
        entry = self._witness.submit(sign_anchor(claims, self._key))
        self._check_answer(entry, claims)
        with self.db.transaction() as session:
            insert_or_ignore(
                session,
                LogAnchorRow,
                {
                    "anchor_id": claims.anchor_id,
                    "log_id": claims.log_id,
                    "tree_size": claims.tree_size,
                    "anchor_jws": entry.anchor,
                    "receipt_jws": entry.receipt,
                    "anchored_at": format_instant(self.clock.now()),
                },
            )
        return entry

    def _check_answer(self, entry: AnchorEntry, claims: AnchorClaims) -> None:
        try:
            receipt = verify_receipt(entry.receipt, self._witness_keys)
            held = self._claims(entry.anchor)
        except (InvalidSignature, InvalidTreeHead) as e:
            raise WitnessError(
                WitnessRefusal.WITNESS_RECEIPT_INVALID, "the witness's answer fails"
            ) from e
        if (
            receipt.anchor_id != claims.anchor_id
            or receipt.anchor_hash != anchor_hash(entry.anchor)
            or receipt.chain_hash != claims.chain_hash
            or not same_anchor(held, claims)
        ):
            raise WitnessError(
                WitnessRefusal.WITNESS_RECEIPT_INVALID, "the witness holds something else"
            )

    def bundle_anchors(self, tree_head: str) -> list[dict[str, Any]]:
        """The ``anchors`` of a bundle whose head is ``tree_head``: [previous,] covering."""
        covering = self.anchor(tree_head)
        claims = self._claims(covering.anchor)
        size = verify_tree_head(tree_head, {self._key.kid: self._key.public}).tree_size
        entries: list[dict[str, Any]] = []
        previous = self._row(claims.prev_anchor_id)
        if previous is not None:
            entries.append({"anchor": previous.anchor_jws, "receipt": previous.receipt_jws})
        last: dict[str, Any] = {"anchor": covering.anchor, "receipt": covering.receipt}
        if claims.tree_size > size:
            proof = self.log.consistency_proof(size, claims.tree_size)
            last["consistency_proof"] = [b64url(h) for h in proof]
        entries.append(last)
        return entries

    def attach(self, bundle: Mapping[str, Any], witness_id: str) -> dict[str, Any]:
        """``bundle`` with ``anchors`` over its tree head and the witness key among its keys."""
        anchors = self.bundle_anchors(bundle["tree_head"])
        kids = {peek_header(entry["receipt"])["kid"] for entry in anchors}
        if len(kids) != 1:
            raise WitnessError(WitnessRefusal.WITNESS_CONFIG, "one witness key per bundle")
        (kid,) = kids
        key = self._witness_keys(kid)
        if key is None:
            raise WitnessError(WitnessRefusal.WITNESS_RECEIPT_INVALID, "unknown witness key")
        keys = bundle["keys"]
        listed = [k for k in keys["jwks"]["keys"] if k.get("kid") != kid]
        return {
            **bundle,
            "keys": {
                "jwks": {"keys": [*listed, key.to_jwk()]},
                "roles": {**keys["roles"], kid: {"role": "witness", "id": witness_id}},
            },
            "anchors": anchors,
        }
