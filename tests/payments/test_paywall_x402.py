"""x402 v2 on trustcart's paid resources, paid by the unmodified x402 SDK from PyPI.

The SDK's own client (``x402HttpxClient`` with ``ExactEvmScheme`` and its eth-account signer,
a key generated here) fetches a trustcart resource from a real loopback server; trustcart's
facilitator verifies the EIP-3009 signature the SDK produced and settles on trustcart's ledger.
No network, no chain. Skipped without the ``x402`` extra (``pip install -e .[x402]``).
"""

# ruff: noqa: E402 - the recursion limit is read before the SDK is imported and restored after
from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

_LIMIT = sys.getrecursionlimit()  # py_ecc, imported below, raises it to 100,000
pytest.importorskip("x402")
pytest.importorskip("eth_account")

from eth_account import Account
from x402 import x402Client, x402ClientSync
from x402.http.clients import x402HttpxClient
from x402.http.utils import (
    decode_payment_required_header,
    decode_payment_response_header,
    encode_payment_signature_header,
)
from x402.mechanisms.evm.exact import register_exact_evm_client
from x402.mechanisms.evm.signers import EthAccountSigner
from x402.schemas import PaymentPayload, PaymentRequirements

from tests.helpers.payments import MERCHANT, World
from tests.helpers.paywall import PRICE_HISTORY, PaidWorld, paid_world
from trustcart.core.clock import FixedClock
from trustcart.core.money import Money
from trustcart.payments.a402.states import TransactionState
from trustcart.payments.paywall.calls import PaidCalls
from trustcart.payments.x402.codec import PAYMENT_REQUIRED, PAYMENT_RESPONSE, PAYMENT_SIGNATURE
from trustcart.payments.x402.facilitator import LedgerFacilitator
from trustcart.payments.x402.seller import X402Seller
from trustcart.payments.x402.typed_data import EthAccountRecoverer
from trustcart.store.db import Database

sys.setrecursionlimit(_LIMIT)  # a deep recursion must raise, not overflow the C stack

URL = "/paid/price-history/p_pearl"
PAYER_ACCOUNT = "acc_x402_payer"
SELLER_ADDRESS = "0x" + "5e" * 20


class X402World:
    def __init__(self, paid: PaidWorld, payer: Any) -> None:
        self.paid = paid
        self.payer = payer

    def balances(self) -> tuple[Money, Money]:
        provider = self.paid.world.provider
        return provider.balance(PAYER_ACCOUNT), provider.merchant_balance(MERCHANT, "USD")


@pytest.fixture
def x402_world(db: Database) -> Iterator[X402World]:
    payer = Account.create()  # a generated key; it never leaves this process

    def mount(world: World, calls: PaidCalls) -> X402Seller:
        world.provider.open_account(
            PAYER_ACCOUNT, "user:x402-payer", world.alice.public, Money.parse("1.00", "USD")
        )
        facilitator = LedgerFacilitator(
            db,
            recoverer=EthAccountRecoverer(),
            payers={payer.address: PAYER_ACCOUNT},
            clock=world.clock,
        )
        return X402Seller(
            calls, facilitator, seller_id=MERCHANT, pay_to=SELLER_ADDRESS, clock=world.clock
        )

    # The SDK stamps validBefore from the wall clock: the trustcart clock starts there too.
    with paid_world(db, FixedClock(datetime.now(UTC)), x402=mount) as paid:
        yield X402World(paid, payer)


def _sdk_client(payer: Any) -> x402Client:
    client = x402Client()
    register_exact_evm_client(client, EthAccountSigner(payer))
    return client


def test_the_unmodified_x402_client_pays_and_gets_the_resource(x402_world: X402World) -> None:
    paid = x402_world.paid
    before_payer, before_merchant = x402_world.balances()

    async def fetch() -> Any:
        base = str(paid.plain.base_url)
        async with x402HttpxClient(_sdk_client(x402_world.payer), base_url=base) as http:
            return await http.get(URL)

    response = asyncio.run(fetch())
    assert response.status_code == 200
    assert response.json()["product_id"] == "p_pearl"
    settled = decode_payment_response_header(response.headers[PAYMENT_RESPONSE])
    assert settled.success
    assert str(settled.payer).lower() == x402_world.payer.address.lower()
    assert settled.transaction.startswith("x402")
    price = PRICE_HISTORY.x402_price
    assert price is not None
    assert x402_world.balances() == (before_payer - price, before_merchant + price)


def _signed_header(x402_world: X402World) -> tuple[str, str]:
    """A PAYMENT-SIGNATURE made by the SDK for a fresh 402: (header, order)."""
    challenge = x402_world.paid.plain.get(URL)
    assert challenge.status_code == 402
    required = decode_payment_required_header(challenge.headers[PAYMENT_REQUIRED])
    client = x402ClientSync()
    register_exact_evm_client(client, EthAccountSigner(x402_world.payer))
    payload = client.create_payment_payload(required)
    assert isinstance(payload, PaymentPayload)  # v2
    return encode_payment_signature_header(payload), str(payload.accepted.extra["trustcart_order"])


def test_the_402_offers_both_protocols_for_the_same_resource(x402_world: X402World) -> None:
    response = x402_world.paid.plain.get(URL)
    assert response.status_code == 402
    assert {"payment-needed", "payment-required"} <= set(response.headers.keys())
    required = decode_payment_required_header(response.headers[PAYMENT_REQUIRED])
    (offer,) = required.accepts
    assert isinstance(offer, PaymentRequirements)  # v2
    assert (offer.scheme, offer.amount, offer.pay_to.lower()) == ("exact", "10000", SELLER_ADDRESS)


def test_a_replayed_payment_signature_is_refused_and_charges_nothing(
    x402_world: X402World,
) -> None:
    header, order = _signed_header(x402_world)
    plain = x402_world.paid.plain
    assert plain.get(URL, headers={PAYMENT_SIGNATURE: header}).status_code == 200
    before = x402_world.balances()
    again = plain.get(URL, headers={PAYMENT_SIGNATURE: header})
    assert again.status_code == 402
    assert again.json()["reason"] == "x402-order-closed"
    assert x402_world.balances() == before
    call = x402_world.paid.calls.get(order)
    assert call is not None
    assert call.state is TransactionState.WAIT_BUYER_RECEIPT


def test_a_tampered_amount_is_refused_and_charges_nothing(x402_world: X402World) -> None:
    import base64
    import json

    header, _ = _signed_header(x402_world)
    document = json.loads(base64.b64decode(header))
    document["payload"]["authorization"]["value"] = "1"
    document["accepted"]["amount"] = "1"
    forged = base64.b64encode(json.dumps(document).encode()).decode()
    before = x402_world.balances()
    response = x402_world.paid.plain.get(URL, headers={PAYMENT_SIGNATURE: forged})
    assert response.status_code == 402
    assert response.json()["reason"] == "x402-requirements-mismatch"
    assert x402_world.balances() == before


def test_a_signature_by_another_key_is_refused(x402_world: X402World) -> None:
    import base64
    import json

    header, _ = _signed_header(x402_world)
    other = Account.create()
    document = json.loads(base64.b64decode(header))
    document["payload"]["authorization"]["from"] = other.address  # claims to be someone else
    forged = base64.b64encode(json.dumps(document).encode()).decode()
    before = x402_world.balances()
    response = x402_world.paid.plain.get(URL, headers={PAYMENT_SIGNATURE: forged})
    assert response.status_code == 402
    assert response.json()["reason"] == "x402-signature-invalid"
    assert x402_world.balances() == before


def test_the_same_authorization_settles_once_even_for_a_fresh_order(
    x402_world: X402World,
) -> None:
    # Same signed authorization (same nonce), pointed at another open order: the facilitator's
    # nonce record refuses it (as a token contract would), nothing is charged twice.
    header, _ = _signed_header(x402_world)
    plain = x402_world.paid.plain
    assert plain.get(URL, headers={PAYMENT_SIGNATURE: header}).status_code == 200
    from trustcart.payments.x402.codec import decode_payment_signature

    payment = decode_payment_signature(header)
    facilitator = LedgerFacilitator(
        x402_world.paid.world.db,
        recoverer=EthAccountRecoverer(),
        payers={x402_world.payer.address: PAYER_ACCOUNT},
        clock=x402_world.paid.world.clock,
    )
    before = x402_world.balances()
    from trustcart.payments.x402.errors import X402Error

    with pytest.raises(X402Error) as refused:
        facilitator.settle(payment, payment.accepted, MERCHANT)
    assert refused.value.reason == "x402-nonce-used"
    assert x402_world.balances() == before
