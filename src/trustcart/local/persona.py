"""The demo's person: Alice, who shops in the demo, in ``trustcart chat`` and over MCP.

She has a wallet at the payment provider (opened with a balanced ledger entry) and lives at West
Lake in Hangzhou, where drinks come from shops within 5 km. Her signing key is ``alice`` in the
key store; the person's identity in every credential she signs is ``user:alice``.
"""

from __future__ import annotations

from decimal import Decimal

from trustcart.core.money import Money
from trustcart.delegation.isr import Location
from trustcart.local.keystore import KeyStore
from trustcart.local.seed_merchants import DEMO_LOCATION
from trustcart.payments.errors import PaymentRefused
from trustcart.payments.provider import PaymentProvider

IDENTITY = "user:alice"
KEY_NAME = "alice"
ACCOUNT_ID = "acct_alice"
OPENING_BALANCE = "500.00"
LOCATION = Location(DEMO_LOCATION.lat, DEMO_LOCATION.lon, Decimal("5"))


def ensure_account(psp: PaymentProvider, keys: KeyStore) -> None:
    """Open Alice's wallet (funded through a balanced ledger entry) unless it exists."""
    try:
        psp.balance(ACCOUNT_ID)
    except PaymentRefused:  # first run: the account does not exist yet
        psp.open_account(
            ACCOUNT_ID, IDENTITY, keys.get(KEY_NAME).public, Money.parse(OPENING_BALANCE, "CNY")
        )
