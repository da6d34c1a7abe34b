"""The x402 facilitator role, over trustcart's own ledger instead of a blockchain.

x402 puts two calls between a seller and the money: ``verify`` (is this signed payment good
for these requirements?) and ``settle`` (move the money, return a transaction id). Here:

``verify`` checks, in order: the payment is for exactly the requirements the seller offers;
``to`` is ``payTo`` and ``value`` is ``amount``; ``validAfter <= now < validBefore``; the
EIP-712 signature recovers to ``from`` (``typed_data``: the check a token contract makes); the
nonce was never settled; ``from`` is an address linked to a trustcart wallet (``payers``).

``settle`` verifies again and then, in one database transaction, records the authorization
(``x402_settlements``: its key is network, asset, payer and nonce, the primary key, so a nonce
settles once even under concurrent retries), checks the wallet's balance and posts one
balanced ledger entry ``wallet:<account> → merchant:<merchant>`` (the same ``ledger`` and
``ledger_store`` as every other payment: no second ledger). The transaction id it returns is
trustcart's ``trade_no``. A refusal writes nothing.

A real facilitator plugs in at the same seam (``Facilitator``): an HTTP facilitator client
whose ``verify``/``settle`` call a facilitator service, which submits
``transferWithAuthorization`` on chain. The seller code does not change.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.exc import IntegrityError

from trustcart.core.clock import Clock
from trustcart.core.ids import RandomBytes, new_id
from trustcart.core.money import Money
from trustcart.crypto.errors import InvalidSignature
from trustcart.payments import ledger, ledger_store
from trustcart.payments.x402.codec import ExactPayment, ExactRequirements
from trustcart.payments.x402.errors import X402Error, X402Reason
from trustcart.payments.x402.typed_data import SignatureRecoverer, transfer_typed_data
from trustcart.store.db import Database
from trustcart.store.paid_calls import X402SettlementRow

_X = X402Reason


@dataclass(frozen=True)
class Settlement:
    trade_no: str
    payer: str
    network: str


@dataclass(frozen=True)
class LedgerAsset:
    """How atomic units of the x402 asset map onto trustcart money (USDC: 6 digits → USD)."""

    currency: str = "USD"
    decimals: int = 6

    def to_money(self, atomic: int) -> Money:
        """``atomic`` units as Money; refuse a sub-cent amount the ledger cannot hold.

        >>> LedgerAsset().to_money(10_000)
        Money(minor=1, currency='USD')
        """
        digits = 2
        scale = 10 ** (self.decimals - digits)
        if atomic % scale:
            raise X402Error(_X.AMOUNT_MISMATCH, "the amount is finer than the ledger holds")
        return Money(atomic // scale, self.currency)

    def to_atomic(self, amount: Money) -> int:
        if amount.currency != self.currency:
            raise X402Error(_X.AMOUNT_MISMATCH, f"x402 prices are in {self.currency}")
        return int(amount.minor * 10 ** (self.decimals - 2))


class Facilitator(Protocol):
    def verify(self, payment: ExactPayment, requirements: ExactRequirements) -> str: ...
    def settle(
        self, payment: ExactPayment, requirements: ExactRequirements, merchant_id: str
    ) -> Settlement: ...


def authorization_key(payment: ExactPayment) -> str:
    auth = payment.authorization
    return f"{payment.accepted.network}:{payment.accepted.asset}:{auth.payer}:{auth.nonce}"


class LedgerFacilitator:
    """Verifies ``exact`` EIP-3009 authorizations and settles them on trustcart's ledger."""

    def __init__(
        self,
        db: Database,
        *,
        recoverer: SignatureRecoverer,
        payers: Mapping[str, str],
        clock: Clock,
        asset: LedgerAsset | None = None,
        random_bytes: RandomBytes = secrets.token_bytes,
    ) -> None:
        self._db = db
        self._recoverer = recoverer
        self._payers = {address.lower(): account for address, account in payers.items()}
        self._clock = clock
        self.asset = asset or LedgerAsset()
        self._random = random_bytes

    def verify(self, payment: ExactPayment, requirements: ExactRequirements) -> str:
        """The payer's trustcart account id, or ``X402Error`` naming the first failed check."""
        auth = payment.authorization
        if payment.accepted != requirements or dict(payment.accepted.extra) != dict(
            requirements.extra
        ):
            raise X402Error(_X.REQUIREMENTS_MISMATCH, "not the requirements offered")
        if auth.to != requirements.pay_to:
            raise X402Error(_X.RECIPIENT_MISMATCH, "the transfer is to another address")
        if auth.value != requirements.amount:
            raise X402Error(_X.AMOUNT_MISMATCH, "the transfer is for another amount")
        now = int(self._clock.now().timestamp())
        if now < auth.valid_after:
            raise X402Error(_X.NOT_YET_VALID, "validAfter is in the future")
        if now >= auth.valid_before:
            raise X402Error(_X.EXPIRED, "validBefore has passed")
        try:
            signer = self._recoverer.recover(
                transfer_typed_data(requirements, auth), payment.signature
            )
        except InvalidSignature as e:
            raise X402Error(_X.SIGNATURE_INVALID, "the signature does not verify") from e
        if signer != auth.payer:
            raise X402Error(_X.SIGNATURE_INVALID, "the signature is not the payer's")
        with self._db.transaction() as session:
            if session.get(X402SettlementRow, authorization_key(payment)) is not None:
                raise X402Error(_X.NONCE_USED, "this authorization was already settled")
        account = self._payers.get(auth.payer)
        if account is None:
            raise X402Error(_X.UNKNOWN_PAYER, "the payer has no trustcart wallet")
        return account

    def settle(
        self, payment: ExactPayment, requirements: ExactRequirements, merchant_id: str
    ) -> Settlement:
        """Verify, then record the authorization and post the ledger entry, atomically."""
        account = self.verify(payment, requirements)
        amount = self.asset.to_money(requirements.amount)
        now: datetime = self._clock.now()
        trade_no = new_id("x402", self._random)
        entry = ledger.payment_entry(
            new_id("je", self._random),
            wallet=account,
            merchant=merchant_id,
            amount=amount,
            reference=trade_no,
        )
        try:
            with self._db.transaction() as session:
                session.add(
                    X402SettlementRow(
                        authorization_key=authorization_key(payment),
                        trade_no=trade_no,
                        payer=payment.authorization.payer,
                        account_id=account,
                        merchant_id=merchant_id,
                        amount_minor=amount.minor,
                        currency=amount.currency,
                        entry_id=entry.entry_id,
                        settled_at=now,
                    )
                )
                session.flush()
                wallet = ledger.wallet_account(account)
                if ledger_store.account_balance(session, wallet, amount.currency) < amount:
                    raise X402Error(_X.INSUFFICIENT_FUNDS, "the wallet's balance is too low")
                ledger_store.post_entry(session, entry, at=now)
        except IntegrityError as e:
            raise X402Error(_X.NONCE_USED, "this authorization was already settled") from e
        return Settlement(trade_no, payment.authorization.payer, requirements.network)
