"""Restricted payment tokens (PSD-PMT-BND): what the agent holds instead of an account.

A token is an opaque random string ``ptk_<43 base64url chars>`` (256 random bits). The PSP
stores only its SHA-256 hash, so a copy of the database cannot be replayed as a token, and
the token says nothing about the account behind it: the agent never sees account data.

Each token is bound to one account, one agent, one delegation (by the IAC's digest) and the
limits of that IAC; it expires with the IAC and can be revoked. The PSP re-checks all of this
on every payment (ACT: "the PSP rechecks the token on every payment").

>>> value = new_token_value(lambda n: bytes(n))
>>> value.startswith("ptk_"), hash_token_value(value) == hash_token_value(value)
(True, True)
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustcart.core.ids import RandomBytes
from trustcart.core.money import Money
from trustcart.crypto.jcs import b64url
from trustcart.payments.errors import PaymentProblem, PaymentRefused
from trustcart.store.payments import PaymentTokenRow

TOKEN_PREFIX = "ptk_"  # noqa: S105 - a prefix, not a secret
_TOKEN_BYTES = 32
_TOKEN_LENGTH = len(TOKEN_PREFIX) + 43


def new_token_value(random_bytes: RandomBytes = secrets.token_bytes) -> str:
    """A fresh token value: ``ptk_`` + 256 random bits, base64url."""
    return TOKEN_PREFIX + b64url(random_bytes(_TOKEN_BYTES))


def hash_token_value(value: str) -> str:
    """Hex SHA-256 of the token value: the only form the PSP stores."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def looks_like_token(value: object) -> bool:
    return isinstance(value, str) and value.startswith(TOKEN_PREFIX) and len(value) == _TOKEN_LENGTH


@dataclass(frozen=True)
class PaymentToken:
    """A stored token's binding (never its value)."""

    token_id: str
    account_id: str
    agent_id: str
    delegation_id: str
    iac_digest: str
    max_total: Money
    max_single: Money | None
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None

    def usable_at(self, now: datetime) -> bool:
        return self.revoked_at is None and self.created_at <= now < self.expires_at


def _from_row(row: PaymentTokenRow) -> PaymentToken:
    return PaymentToken(
        token_id=row.token_id,
        account_id=row.account_id,
        agent_id=row.agent_id,
        delegation_id=row.delegation_id,
        iac_digest=row.iac_digest,
        max_total=Money(row.max_total_minor, row.currency),
        max_single=Money(row.max_single_minor, row.currency)
        if row.max_single_minor is not None
        else None,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )


def store_token(
    session: Session, *, token_id: str, value: str, binding: PaymentToken, binding_digest: str
) -> PaymentToken:
    """Store a new token's hash and binding inside the caller's transaction."""
    if binding.token_id != token_id:
        raise ValueError("token_id does not match the binding")
    session.add(
        PaymentTokenRow(
            token_id=token_id,
            token_hash=hash_token_value(value),
            account_id=binding.account_id,
            agent_id=binding.agent_id,
            delegation_id=binding.delegation_id,
            iac_digest=binding.iac_digest,
            currency=binding.max_total.currency,
            max_total_minor=binding.max_total.minor,
            max_single_minor=binding.max_single.minor if binding.max_single is not None else None,
            binding_digest=binding_digest,
            created_at=binding.created_at,
            expires_at=binding.expires_at,
            revoked_at=None,
        )
    )
    session.flush()
    return binding


def binding_digest_used(session: Session, binding_digest: str) -> bool:
    row = session.execute(
        select(PaymentTokenRow.token_id).where(PaymentTokenRow.binding_digest == binding_digest)
    ).first()
    return row is not None


def resolve_token(session: Session, value: str, now: datetime) -> PaymentToken:
    """The binding of a usable token, or ``PaymentRefused(token-invalid)``.

    Unknown, malformed, revoked and expired tokens are refused alike, so the answer does not
    tell a guesser which tokens exist.
    """
    if not looks_like_token(value):
        raise PaymentRefused(PaymentProblem.TOKEN_INVALID, "payment token is not valid")
    digest = hash_token_value(value)
    row = session.execute(
        select(PaymentTokenRow).where(PaymentTokenRow.token_hash == digest)
    ).scalar_one_or_none()
    # Lookup is by hash, so timing reveals nothing about the value; compare again anyway.
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        raise PaymentRefused(PaymentProblem.TOKEN_INVALID, "payment token is not valid")
    token = _from_row(row)
    if not token.usable_at(now):
        raise PaymentRefused(PaymentProblem.TOKEN_INVALID, "payment token is not valid")
    return token


def lock_usable_token(session: Session, token_id: str, now: datetime) -> PaymentToken:
    """Re-read a token under a row lock in the paying transaction; refuse it if it is no longer
    usable. A revocation that lands between a payment's checks and its ledger write therefore
    either commits first (and is seen here) or waits for the payment to finish."""
    row = session.execute(
        select(PaymentTokenRow)
        .where(PaymentTokenRow.token_id == token_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    token = _from_row(row) if row is not None else None
    if token is None or not token.usable_at(now):
        raise PaymentRefused(PaymentProblem.TOKEN_INVALID, "payment token is not valid")
    return token


def get_token(session: Session, token_id: str) -> PaymentToken | None:
    row = session.get(PaymentTokenRow, token_id)
    return _from_row(row) if row is not None else None


def revoke_token(session: Session, token_id: str, now: datetime) -> bool:
    """Revoke one token; True if it was active. Revocation is final."""
    row = session.get(PaymentTokenRow, token_id)
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = now
    return True


def revoke_delegation_tokens(session: Session, delegation_id: str, now: datetime) -> int:
    """Revoke every token bound to a delegation (e.g. when the IAC is revoked)."""
    rows = (
        session.execute(
            select(PaymentTokenRow).where(
                PaymentTokenRow.delegation_id == delegation_id, PaymentTokenRow.revoked_at.is_(None)
            )
        )
        .scalars()
        .all()
    )
    for row in rows:
        row.revoked_at = now
    return len(rows)
