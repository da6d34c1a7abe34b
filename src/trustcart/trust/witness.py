"""The witness: a second service, with its own key and store, that keeps the log's anchors.

ACT TSD-ATT-OCA's "ACT Trust Chain" node, for one installation: the log submits each anchor
(``trust.chain_anchor``, a JWS it signs); the witness checks it, gives it the next height and
signs a receipt. It never holds a tree or a record, only anchors. Rules, all failing closed
(``WitnessError`` with a stable ``WitnessRefusal`` code, docs/errors.md):

* the anchor must be signed by a key the witness knows as a submitter's (``submitter_keys``,
  kid -> (party, key)), for the party the anchor names as ``submitter``
  (``anchor-submitter-unknown``, ``anchor-signature-invalid``, ``anchor-invalid``);
* idempotent by ``anchor_id``: the same anchor again (the same content; its ``iat`` may differ)
  returns the existing entry, ``created`` False; a different content under that id is refused
  (``AnchorConflict``, ``anchor-id-conflict``): anchors are never overwritten;
* anchors of one submitter form a chain: a new one must name that submitter's latest anchor as
  ``prev_anchor_id`` with its ``chain_hash``, and grow the tree (``anchor-chain-broken``);
* heights are consecutive across all submitters, from 0; two racing submissions cannot share
  one (the store's unique height); the loser is retried and then sees the winner.

``AnchorEntry`` is what the witness answers (the anchor and its receipt); ``WitnessPort`` is
how a log reaches a witness, in this process (``Witness``) or over HTTP
(``trust.witness_client``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from trustcart.core.clock import Clock, format_instant
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.jws import peek_header, peek_payload
from trustcart.crypto.keys import PublicKey, SigningKey
from trustcart.store.db import Database
from trustcart.store.witness import WitnessAnchorRow
from trustcart.trust.chain_anchor import (
    AnchorClaims,
    WitnessReceipt,
    sign_receipt,
    verify_anchor,
)
from trustcart.trust.errors import AnchorConflict, InvalidTreeHead, WitnessError


class WitnessRefusal(StrEnum):
    """Why the witness (or the log's anchorer) refused an anchor (docs/errors.md, Witness)."""

    ANCHOR_INVALID = "anchor-invalid"
    ANCHOR_SUBMITTER_UNKNOWN = "anchor-submitter-unknown"
    ANCHOR_SIGNATURE_INVALID = "anchor-signature-invalid"
    ANCHOR_ID_CONFLICT = "anchor-id-conflict"
    ANCHOR_CHAIN_BROKEN = "anchor-chain-broken"
    ANCHOR_NOT_FOUND = "anchor-not-found"
    ANCHOR_FORK = "anchor-fork"
    WITNESS_BUSY = "witness-busy"
    WITNESS_CONFIG = "witness-config"
    WITNESS_RECEIPT_INVALID = "witness-receipt-invalid"
    WITNESS_UNAVAILABLE = "witness-unavailable"


SubmitterKeys = Callable[[str], "tuple[str, PublicKey] | None"]
_ATTEMPTS = 3

__all__ = [
    "AnchorEntry",
    "SubmitterKeys",
    "Witness",
    "WitnessPort",
    "WitnessRefusal",
    "same_anchor",
]


@dataclass(frozen=True)
class AnchorEntry:
    """One anchor as the witness holds it: the anchor JWS, its receipt, and its height."""

    anchor: str
    receipt: str
    height: int
    created: bool = False

    def to_json(self) -> dict[str, object]:
        return {"anchor": self.anchor, "receipt": self.receipt, "height": self.height}


class WitnessPort(Protocol):
    """How a log reaches a witness."""

    def submit(self, anchor: str) -> AnchorEntry: ...

    def fetch(self, anchor_id: str) -> AnchorEntry | None: ...


def same_anchor(a: AnchorClaims, b: AnchorClaims) -> bool:
    """Same anchored content: everything but the submission instant ``iat``."""
    return a.to_json() | {"iat": 0} == b.to_json() | {"iat": 0}


class Witness:
    """The witness service over its own tables (``store.witness``)."""

    def __init__(
        self,
        db: Database,
        key: SigningKey,
        witness_id: str,
        submitter_keys: SubmitterKeys,
        clock: Clock,
    ) -> None:
        if not isinstance(witness_id, str) or not witness_id:
            raise WitnessError(
                WitnessRefusal.WITNESS_CONFIG, "witness_id must be a non-empty string"
            )
        self.db = db
        self.witness_id = witness_id
        self.clock = clock
        self._key = key
        self._submitter_keys = submitter_keys

    @property
    def public_key(self) -> PublicKey:
        return self._key.public

    def _verified(self, token: str) -> AnchorClaims:
        try:
            kid = peek_header(token).get("kid")
        except InvalidSignature as e:
            raise WitnessError(WitnessRefusal.ANCHOR_INVALID, "an anchor is a compact JWS") from e
        known = self._submitter_keys(kid) if isinstance(kid, str) else None
        if known is None:
            raise WitnessError(
                WitnessRefusal.ANCHOR_SUBMITTER_UNKNOWN, "the anchor's key is no submitter's"
            )
        party, key = known
        try:
            claims = verify_anchor(token, {key.kid: key})
        except InvalidSignature as e:
            raise WitnessError(
                WitnessRefusal.ANCHOR_SIGNATURE_INVALID, "the anchor's signature fails"
            ) from e
        except InvalidTreeHead as e:
            raise WitnessError(WitnessRefusal.ANCHOR_INVALID, str(e)) from e
        if claims.submitter != party or claims.log_id != party:
            raise WitnessError(
                WitnessRefusal.ANCHOR_SUBMITTER_UNKNOWN,
                f"the anchor names {claims.submitter}, signed by {party}",
            )
        return claims

    def submit(self, anchor: str) -> AnchorEntry:
        """Keep ``anchor`` (or return the entry already kept under its id); see the rules."""
        claims = self._verified(anchor)
        for attempt in range(_ATTEMPTS):
            try:
                return self._submit(anchor, claims)
            except IntegrityError:  # a racing submission took the id or the height
                if attempt == _ATTEMPTS - 1:
                    raise WitnessError(
                        WitnessRefusal.WITNESS_BUSY, "too many racing submissions"
                    ) from None
        raise AssertionError("unreachable")

    def _submit(self, anchor: str, claims: AnchorClaims) -> AnchorEntry:
        with self.db.transaction() as session:
            existing = session.get(WitnessAnchorRow, claims.anchor_id)
            if existing is not None:
                held = AnchorClaims.from_json(_payload(existing.anchor_jws))
                if not same_anchor(held, claims):
                    raise AnchorConflict(
                        WitnessRefusal.ANCHOR_ID_CONFLICT,
                        f"{claims.anchor_id} is already anchored with other content",
                    )
                return AnchorEntry(existing.anchor_jws, existing.receipt_jws, existing.height)
            latest = session.execute(
                select(WitnessAnchorRow)
                .where(WitnessAnchorRow.submitter == claims.submitter)
                .order_by(WitnessAnchorRow.height.desc())
                .limit(1)
            ).scalar_one_or_none()
            previous = (
                None if latest is None else AnchorClaims.from_json(_payload(latest.anchor_jws))
            )
            if not claims.links_to(previous) or (
                previous is not None and claims.tree_size <= previous.tree_size
            ):
                expected = "none" if previous is None else previous.anchor_id
                raise WitnessError(
                    WitnessRefusal.ANCHOR_CHAIN_BROKEN,
                    f"{claims.anchor_id} must follow {expected} with its chain hash",
                )
            top = session.execute(select(func.max(WitnessAnchorRow.height))).scalar()
            height = 0 if top is None else int(top) + 1
            now = self.clock.now()
            receipt = sign_receipt(
                WitnessReceipt.of(anchor, claims, height, self.witness_id, now), self._key
            )
            session.add(
                WitnessAnchorRow(
                    anchor_id=claims.anchor_id,
                    submitter=claims.submitter,
                    height=height,
                    tree_size=claims.tree_size,
                    chain_hash=claims.chain_hash,
                    anchor_jws=anchor,
                    receipt_jws=receipt,
                    recorded_at=format_instant(now),
                )
            )
            session.flush()
        return AnchorEntry(anchor, receipt, height, created=True)

    def fetch(self, anchor_id: str) -> AnchorEntry | None:
        """The entry kept under ``anchor_id``, or None (404 ``anchor-not-found`` over HTTP)."""
        if not isinstance(anchor_id, str):
            return None
        with self.db.read() as session:
            row = session.get(WitnessAnchorRow, anchor_id)
            return None if row is None else AnchorEntry(row.anchor_jws, row.receipt_jws, row.height)


def _payload(token: str) -> dict[str, object]:
    return peek_payload(token)  # our own stored JWS: verified when it was submitted
