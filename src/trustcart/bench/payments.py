"""``trustcart bench payments``: the PSP alone, verified and unchecked, against raw verification.

Each worker holds a pool of carts its merchant confirmed and signed beforehand (through the
marketplace service in this process, untimed: the cart is the merchant's work, not the
PSP's); one step is one ``POST /payments`` in L2 under the worker's standing delegation over
real HTTP, and the agent's check of the signed receipt. The same runs against the bench-only
unchecked PSP (``bench.unchecked``) in alternating rounds. A worker whose pool runs out stops
(the report says so: ``pools_ran_out``).

The baseline is the verification a payment needs and nothing else, on one thread in this
process: the RFC 9421 request signature with its Content-Digest, the IAC, the merchant's cart,
the signed credential status and the PSP's receipt (five Ed25519 verifications, and the JWS
and structured-field parsing around them); ``raw_verify.per_second`` is what one core could
verify, the ceiling a PSP on one core approaches.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from typing import Any

from trustcart.assistant.agent import BuyerAgent
from trustcart.assistant.offers import ConfirmedCart, Offer, Receipt
from trustcart.assistant.proposals import Delegation
from trustcart.bench.checkout import report, run_variants
from trustcart.bench.checkout_setup import BenchMarket, bench_market
from trustcart.bench.load import Step, StepsExhausted
from trustcart.commerce.service import MerchantService
from trustcart.core.payment import PaymentMode
from trustcart.core.typs import CART_TYP, RECEIPT_TYP
from trustcart.crypto.httpsig.profile import new_nonce
from trustcart.crypto.httpsig.signing import sign_request
from trustcart.crypto.httpsig.verification import verify_request
from trustcart.crypto.jws import sign_compact, verify_compact
from trustcart.crypto.nonces import InMemoryNonceCache
from trustcart.delegation.iac import verify_iac
from trustcart.delegation.lifecycle import CredentialStatus
from trustcart.delegation.status import sign_status, verify_status

CARTS_PER_SECOND = 30  # a worker's pool: more than one worker pays in a second here
BASELINE_SECONDS = 1.0


def confirmed_carts(market: BenchMarket, delegation: Delegation, count: int) -> list[ConfirmedCart]:
    """``count`` carts for the bench's product, confirmed and signed by its merchant."""
    return confirm_carts(market.deployment.merchants, market.product, delegation, count)


def confirm_carts(
    service: MerchantService, offer: Offer, delegation: Delegation, count: int
) -> list[ConfirmedCart]:
    """``count`` one-item carts for ``offer`` under ``delegation``, confirmed by ``service``."""
    iac = delegation.iac
    keys = {key.kid: key for key in service.merchant_public_keys().values()}
    carts = []
    for _ in range(count):
        confirmed = service.confirm_cart(
            {
                "merchant_id": offer.merchant_id,
                "items": [
                    {
                        "product_id": offer.product_id,
                        "quantity": 1,
                        "expected_unit_price": offer.unit_price.to_json(),
                    }
                ],
                "intent_id": iac.intent_id,
                "delegation_id": iac.delegation_id,
                "agent_id": iac.agent_id,
                "payment_method": iac.allowed_payment_methods[0],
            }
        )
        token = str(confirmed.to_json()["cart"])
        carts.append(
            ConfirmedCart.from_verified(token, verify_compact(token, keys, typ=CART_TYP).payload)
        )
    return carts


def payment_step(agent: BuyerAgent, delegation: Delegation, carts: list[ConfirmedCart]) -> Step:
    """Pay the next cart of ``carts`` in L2 and check the receipt; ``StepsExhausted`` at the end."""

    def step() -> Receipt:
        if not carts:
            raise StepsExhausted
        receipt = agent.pay(
            mode=PaymentMode.L2,
            payment_token=delegation.payment_token,
            iac=delegation.iac,
            cart=carts.pop(),
        )
        delegation.record(receipt)
        return receipt

    return step


def raw_verify_baseline(market: BenchMarket, seconds: float = BASELINE_SECONDS) -> dict[str, Any]:
    """Verifications per second of one payment's five signatures, on one thread."""
    d = market.deployment
    delegation = market.delegations[0]
    iac = delegation.iac
    cart = confirmed_carts(market, delegation, 1)[0]
    merchant_keys = {key.kid: key for key in d.merchants.merchant_public_keys().values()}
    agent, psp, status_key = d.agent_key, d.keys.get("psp"), d.keys.get("status")
    receipt = sign_compact({"out_trade_no": cart.out_trade_no}, psp, typ=RECEIPT_TYP)
    body = json.dumps({"mode": "L2", "iac": iac.token, "cart": cart.token}).encode()
    url = f"{d.endpoints.psp}/payments"
    headers = {"content-type": "application/json", "idempotency-key": "bench"}
    nonces = InMemoryNonceCache()
    done, cpu = 0, 0.0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        now = d.clock.now()
        signed = {**headers, **sign_request("POST", url, headers, body, agent, now, new_nonce())}
        status = sign_status(iac.delegation_id, CredentialStatus.ACTIVE, key=status_key, now=now)
        began = time.process_time()
        verify_request("POST", url, signed, body, _one_key(agent.kid, agent.public), now, nonces)
        verify_iac(iac.token, {d.keys.get("alice").kid: d.keys.get("alice").public})
        verify_compact(cart.token, merchant_keys, typ=CART_TYP)
        verify_status(status.token, {status_key.kid: status_key.public}, iac.delegation_id)
        verify_compact(receipt, {psp.kid: psp.public}, typ=RECEIPT_TYP)
        cpu += time.process_time() - began
        done += 1
    per_payment = cpu / done
    return {
        "verifications_per_payment": 5,
        "payments": done,
        "cpu_ms_per_op": round(1000 * per_payment, 3),
        "per_second": round(1 / per_payment, 1) if per_payment else None,
    }


def _one_key(kid: str, key: Any) -> Callable[[str], Any]:
    return lambda asked: key if asked == kid else None


def run_payments_bench(
    *,
    seconds: float,
    concurrency: int,
    database_url: str | None = None,
    rounds: int = 2,
    workers: int = 0,
    progress: Callable[[str], None] = lambda _m: None,
) -> dict[str, Any]:
    """Run the PSP bench (see module doc) and return its JSON report (``workers`` as in
    ``run_checkout_bench``)."""
    progress("starting the installation and signing the delegations")
    with bench_market(concurrency, database_url, workers=workers) as market:
        per_pool = math.ceil(seconds / 2 * CARTS_PER_SECOND) + 2  # each variant: half the time
        progress(f"confirming {per_pool} carts for each of {2 * concurrency} workers")
        pools: dict[str, list[list[ConfirmedCart]]] = {
            variant: [confirmed_carts(market, dl, per_pool) for dl in market.delegations]
            for variant in ("verified", "unchecked")
        }
        steps = {
            variant: [
                payment_step(market.agent(checked=variant == "verified"), dl, pool)
                for dl, pool in zip(market.delegations, pools[variant], strict=True)
            ]
            for variant in pools
        }
        progress(f"running {rounds} rounds of each variant for {seconds:g} s in all")
        figures = run_variants(steps, seconds, rounds, market.cpu_clock)
        baseline = raw_verify_baseline(market)
        ran_out = [v for v, p in pools.items() if any(not carts for carts in p)]
        result = report(
            "payments",
            market,
            figures,
            seconds=seconds,
            concurrency=concurrency,
            workers=workers,
            raw_verify=baseline,
            pools_ran_out=ran_out,
        )
        verified = figures["verified"].throughput
        result["ratios"]["verified_over_raw_verify"] = (
            round(verified / baseline["per_second"], 4) if baseline["per_second"] else None
        )
        return result
