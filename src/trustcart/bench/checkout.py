"""``trustcart bench checkout``: the full L2 purchase over HTTP, verified and unchecked.

One step is one delegated (L2) purchase as the buyer agent makes it, every call over real
HTTP to the uvicorn servers of ``bench.checkout_setup``:

    POST /intent-context          the offers for Alice's intent (the marketplace's search)
    POST /records                 the agent's decision-logged event, signed, into the log
    GET  status                   the credential's signed status (agent side)
    POST .../payment-negotiation  the payment method
    POST /carts                   the merchant-signed cart, verified and checked (CID-CART-CFM)
    POST /payments                the PSP: IAC, token, status, cart, budget under lock, ledger,
                                  receipt, outbox (transaction-completed, merchant notice)

and the agent verifies the receipt. The same step runs against the bench-only unchecked apps
(``bench.unchecked``: no RFC 9421 signing or verification, no status round trips) on the same
store, in alternating rounds of ``seconds / rounds`` so that a busy machine slows both alike.
The report gives each one's throughput, p50 and p99 and their ratios.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from trustcart.assistant.agent import BuyerAgent
from trustcart.assistant.proposals import Delegation
from trustcart.bench.checkout_setup import BenchMarket, bench_market, intent_context
from trustcart.bench.load import LoadFigures, Step, merge, run_closed_loop
from trustcart.core.payment import PaymentMode

DECISION_RULE = "bench: the usual product"
VARIANTS = ("verified", "unchecked")


def purchase_step(agent: BuyerAgent, delegation: Delegation, product_id: str) -> Step:
    """One L2 purchase under ``delegation``, from the intent context to the checked receipt."""
    iac = delegation.iac
    context = intent_context()

    def step() -> None:
        offers = agent.discover(context, intent_id=iac.intent_id, delegation_id=iac.delegation_id)
        chosen = [o for o in offers if o.product_id == product_id]
        if not chosen:
            raise RuntimeError("the intent context no longer offers the product")
        offer = chosen[0]
        agent.log_decision(iac, [offer], considered=len(offers), rule=DECISION_RULE)
        agent.check_status(iac)
        cart = agent.confirm(offer, iac, agent.negotiate(offer, iac))
        agent.check_cart(cart, offer, iac, delegation.spent)
        receipt = agent.pay(
            mode=PaymentMode.L2, payment_token=delegation.payment_token, iac=iac, cart=cart
        )
        delegation.record(receipt)

    return step


def ratios(verified: LoadFigures, unchecked: LoadFigures) -> dict[str, float | None]:
    """Verified over unchecked: throughput (below 1: checks cost), p50 and p99 (above 1)."""
    a, b = verified.to_json(), unchecked.to_json()

    def over(name: str) -> float | None:
        top, bottom = a[name], b[name]
        if not isinstance(top, float | int) or not isinstance(bottom, float | int) or not bottom:
            return None
        return round(top / bottom, 3)

    return {
        "throughput_verified_over_unchecked": over("per_second"),
        "p50_verified_over_unchecked": over("p50_ms"),
        "p99_verified_over_unchecked": over("p99_ms"),
    }


def run_variants(
    steps: dict[str, list[Step]],
    seconds: float,
    rounds: int,
    cpu_clock: Callable[[], float] = time.process_time,
) -> dict[str, LoadFigures]:
    """Warm every step up once, then run the variants in alternating rounds."""
    for variant_steps in steps.values():
        for step in variant_steps:
            step()
    runs: dict[str, list[LoadFigures]] = {name: [] for name in steps}
    for _ in range(rounds):
        for name, variant_steps in steps.items():
            runs[name].append(run_closed_loop(variant_steps, seconds / rounds, cpu_clock))
    return {name: merge(figures) for name, figures in runs.items()}


def report(
    bench: str,
    market: BenchMarket,
    figures: dict[str, LoadFigures],
    *,
    seconds: float,
    concurrency: int,
    **extra: Any,
) -> dict[str, Any]:
    """The JSON report of a bench run with a verified and an unchecked figure."""
    return {
        "bench": bench,
        "database": market.database,
        "seconds": seconds,
        "concurrency": concurrency,
        **{name: figures[name].to_json() for name in figures},
        **extra,
        "ratios": ratios(figures["verified"], figures["unchecked"]),
    }


def run_checkout_bench(
    *,
    seconds: float,
    concurrency: int,
    database_url: str | None = None,
    rounds: int = 2,
    serialize_writes: bool = True,
    workers: int = 0,
    progress: Callable[[str], None] = lambda _m: None,
) -> dict[str, Any]:
    """Run the checkout bench (see module doc) and return its JSON report.

    ``workers``: 0 serves the apps from threads of this process; N > 0 from N worker
    processes (``trustcart serve --workers N``), this process then only drives the load."""
    progress("starting the installation and signing the delegations")
    with bench_market(
        concurrency, database_url, serialize_writes=serialize_writes, workers=workers
    ) as market:
        product = market.product.product_id
        steps = {
            variant: [
                purchase_step(market.agent(checked=variant == "verified"), delegation, product)
                for delegation in market.delegations
            ]
            for variant in VARIANTS
        }
        progress(f"running {rounds} rounds of each variant for {seconds:g} s in all")
        figures = run_variants(steps, seconds, rounds, market.cpu_clock)
        return report(
            "checkout", market, figures, seconds=seconds, concurrency=concurrency, workers=workers
        )
