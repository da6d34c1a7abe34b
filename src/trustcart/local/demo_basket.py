"""``trustcart demo``'s basket scene: one BOUNDED IAC, carts at two merchants, one approval.

Alice asks for drinks for the team under one total cap. The agent asks the marketplace's basket
planner (``POST /baskets/plan``, ``commerce.basket_market``), which chooses which shop sells
which drink so that the delivered total, after each shop's coupons on its *combined* cart and
each shop's shipping once, is the lowest; the agent asks each merchant to confirm its cart
(``assistant.basket_buyer``); Alice's wallet approves the set once (``Wallet.approve_basket``:
one signature over the digest of the carts); the payment provider pays every cart in one
transaction or none (``payments.basket_payment``). Each order leaves its own evidence bundle (an
L2 payment under the BOUNDED IAC), and the basket leaves a ``trustcart-basket/1`` record of the
approval over the set (``trust.basket_record``), verified at once against the installation's
anchors. A second basket that would pass what is left of the cap is refused by the PSP as a
whole, nothing paid.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from trustcart.assistant.agent_answers import PurchaseRefused
from trustcart.assistant.basket_buyer import BasketBuyer, PlannedBasket, check_basket_within
from trustcart.assistant.offers import ConfirmedCart
from trustcart.assistant.proposals import Purchase
from trustcart.core.payment import PaymentMode
from trustcart.delegation.iac import IAC
from trustcart.local import persona
from trustcart.trust.anchors import TrustAnchors
from trustcart.trust.basket_record import basket_record, verify_basket_record

if TYPE_CHECKING:
    from trustcart.local.demo import Demo

BASKET_REQUEST = "up to 12 milk teas today, 120 CNY in total"
# (what Alice calls it, the product title the search finds, how many)
BASKET_ITEMS = (
    ("cheese tea", "Lakeside Signature Cheese Tea", 2),
    ("pearl milk tea", "Pearl Milk Tea", 2),
)
SECOND_BASKET = (("cheese foam", "Cheese Foam Oolong", 6), ("taro milk tea", "Taro Milk Tea", 2))


class BasketScene:
    def __init__(self, demo: Demo) -> None:
        self.demo = demo
        endpoints = demo.d.endpoints
        self.buyer = BasketBuyer(
            demo.tools.agent,
            merchants=demo.clients.keep(demo.d.agent_client(endpoints.merchant)),
            psp=demo.clients.keep(demo.d.agent_client(endpoints.psp)),
            clock=demo.d.clock,
        )

    def wanted(self, items: tuple[tuple[str, str, int], ...]) -> list[tuple[str, str, int]]:
        wanted = []
        for name, title, quantity in items:
            found = self.demo.tools.compare(title)["options"]
            product = next((o["items"][0] for o in found if o["items"][0]["title"] == title), None)
            if product is None:  # pragma: no cover - the seeded catalog has each
                raise RuntimeError(f"the demo catalog has no {title}")
            wanted.append((name, str(product["product_id"]), quantity))
        return wanted

    def show(self, plan: PlannedBasket) -> None:
        for cart in plan.carts:
            lines = ", ".join(
                f"{line.quantity} x {title}"
                for line, title in zip(cart.lines, cart.titles, strict=True)
            )
            coupons = ", ".join(cart.coupons) or "no coupon"
            self.demo.step(
                f"{cart.merchant_name}: {lines}; subtotal {cart.subtotal}, {coupons} "
                f"(-{cart.discount}), shipping {cart.shipping}: {cart.total}"
            )
        self.demo.step(
            f"the split with the lowest delivered total: {plan.total} over "
            f"{len(plan.carts)} merchant(s) ({'proven best' if plan.exact else 'bounded search'})"
        )

    def confirm(self, plan: PlannedBasket, iac: IAC) -> list[ConfirmedCart]:
        return [self.buyer.confirm(cart.merchant_id, cart.lines, iac) for cart in plan.carts]

    def run(self) -> None:
        demo = self.demo
        demo.console.rule("[bold]A basket across merchants: one BOUNDED IAC, one approval")
        demo.console.print(f'  Alice: "{BASKET_REQUEST}"')
        standing = demo.tools.authorize_standing_order(BASKET_REQUEST)
        self.delegation_id = str(standing["delegation_id"])
        delegation = demo.tools.delegations[self.delegation_id]
        iac = delegation.iac
        demo.step(f"Alice's wallet signs the {iac.delegation_mode} IAC {iac.delegation_id}")
        plan = self.buyer.plan(self.wanted(BASKET_ITEMS))
        self.show(plan)
        if len(plan.carts) < 2:  # pragma: no cover - the seeded prices make it two
            raise RuntimeError("the demo basket should span two merchants")
        carts = self.confirm(plan, iac)
        method = iac.allowed_payment_methods[0] if iac.allowed_payment_methods else ""
        check_basket_within(carts, iac, delegation.spent, method_id=method, clock=demo.d.clock)
        demo.step(
            f"{len(carts)} carts confirmed and signed, each by its own merchant; the agent "
            "checked each against the plan and the set against the IAC"
        )
        keys = {c.merchant_id: demo.tools.agent.merchant_keys(c.merchant_id) for c in carts}
        approval = demo.tools.wallet.approve_basket([c.token for c in carts], keys)
        demo.step("Alice approves the whole basket once: one signature over the set's digest")
        receipts = self.buyer.pay(
            payment_token=delegation.payment_token, iac=iac, carts=carts, approval=approval
        )
        demo.step(f"the payment provider paid all {len(receipts)} carts in one transaction")
        for cart, receipt in zip(carts, receipts, strict=True):
            delegation.record(receipt)
            purchase = Purchase("basket", delegation.isr, iac, PaymentMode.L2, cart, None, receipt)
            demo.tools.purchases[cart.out_trade_no] = purchase
            demo.finish("basket", purchase)
        self.record(iac.token, approval, carts, [r.token for r in receipts])
        self.over_the_cap()
        demo.tools.revoke(self.delegation_id)
        demo.step(f"the basket is done; Alice revokes {self.delegation_id}")

    def record(
        self, iac: str, approval: str, carts: list[ConfirmedCart], receipts: list[str]
    ) -> None:
        demo = self.demo
        record = basket_record(
            iac=iac,
            approval=approval,
            carts=[c.token for c in carts],
            receipts=receipts,
            now=demo.d.clock.now(),
        )
        path = demo.out / f"basket-{carts[0].out_trade_no}.json"
        path.write_text(json.dumps(record, indent=1), encoding="utf-8")
        report = verify_basket_record(
            record, TrustAnchors.from_directory(demo.d.directory.entries())
        )
        if not report.ok:  # pragma: no cover - would be a bug; the demo fails loudly
            raise RuntimeError(f"the basket record does not verify: {report.reason}")
        demo.result.baskets.append(path)
        demo.step(f"basket record written and verified ({report.total} within the IAC): {path}")

    def over_the_cap(self) -> None:
        demo = self.demo
        delegation = demo.tools.delegations[self.delegation_id]
        demo.console.print("  [bold]a second basket[/]: more than what is left of the cap")
        plan = self.buyer.plan(self.wanted(SECOND_BASKET))
        self.show(plan)
        carts = self.confirm(plan, delegation.iac)
        keys = {c.merchant_id: demo.tools.agent.merchant_keys(c.merchant_id) for c in carts}
        approval = demo.tools.wallet.approve_basket([c.token for c in carts], keys)
        balance = demo.d.psp.balance(persona.ACCOUNT_ID)
        try:  # the agent skips its own pre-check here to show the PSP's
            self.buyer.pay(
                payment_token=delegation.payment_token,
                iac=delegation.iac,
                carts=carts,
                approval=approval,
            )
        except PurchaseRefused as refusal:
            unchanged = demo.d.psp.balance(persona.ACCOUNT_ID) == balance
            demo.refusal(
                "the payment provider, for the whole basket "
                + ("(nothing was charged)" if unchanged else "(BALANCE CHANGED)"),
                refusal,
            )
        else:  # pragma: no cover - would be a security bug
            raise RuntimeError("the PSP paid a basket over the IAC's total")


def basket_scene(demo: Demo) -> None:
    """Run the basket scene on a running demo."""
    BasketScene(demo).run()
