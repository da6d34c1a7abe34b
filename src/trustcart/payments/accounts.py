"""User accounts at the PSP: the delegator's registered key and the wallet in the ledger.

An account is opened with the delegator's identity and public key (the key that signs binding
requests, IACs and L1 approvals) and funded through a balanced ledger entry from a funding
account, so the ledger balances from the first cent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustcart.core.money import Money
from trustcart.crypto.keys import PublicKey
from trustcart.store.payments import PspAccount


@dataclass(frozen=True)
class Account:
    account_id: str
    delegator_identity: str
    delegator_key: PublicKey
    currency: str


def _from_row(row: PspAccount) -> Account:
    return Account(
        row.account_id,
        row.delegator_identity,
        PublicKey.from_jwk(json.loads(row.public_jwk)),
        row.currency,
    )


def insert_account(
    session: Session,
    *,
    account_id: str,
    delegator_identity: str,
    key: PublicKey,
    currency: str,
    now: datetime,
) -> Account:
    Money.zero(currency)  # refuse unknown currencies before writing
    session.add(
        PspAccount(
            account_id=account_id,
            delegator_identity=delegator_identity,
            public_jwk=json.dumps(dict(key.jwk), sort_keys=True),
            kid=key.kid,
            currency=currency,
            created_at=now,
        )
    )
    session.flush()
    return Account(account_id, delegator_identity, key, currency)


def get_account(session: Session, account_id: str, *, lock: bool = False) -> Account | None:
    statement = select(PspAccount).where(PspAccount.account_id == account_id)
    if lock:
        # Serializes every payment from one wallet, so two cannot both pass the funds check.
        statement = statement.with_for_update().execution_options(populate_existing=True)
    row = session.execute(statement).scalar_one_or_none()
    return _from_row(row) if row is not None else None
