"""``trustcart demo``'s UCP scene: the agent buys from a UCP 2026-04-08 business over HTTP.

The installation's own UCP business (``local.ucp``) runs on its own loopback port, a business
like any other to the agent. Alice adds it by its URL (its ``/.well-known/ucp`` fetched and
checked: version, REST shopping service, checkout and catalog capabilities, the trustcart
payment handler, signing keys); the agent then compares the marketplace's offers and the
business's in one table, the business's checkout quotes the delivered total of the chosen one,
Alice approves that total (a one-purchase credential), and the agent completes the session: the
business confirms the ACT cart, the trustcart payment provider checks token, IAC, status and
budget and pays. The purchase leaves an evidence bundle like the other scenes'.

The scene's businesses are kept in a memory of its own, not in Alice's records: the port is
gone when the demo ends. The platform's order webhook receiver (``local.ucp_platform_webhooks``)
looks in that memory too for the run, so the business's signed order webhook is verified and
kept there, and the scene shows the status it reports.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from trustcart.assistant.errors import ToolRefused
from trustcart.assistant.memory import InMemoryMemory, Memory
from trustcart.assistant.ucp.order_events import latest_statuses
from trustcart.local.market import tools_for
from trustcart.local.ucp_platform import add_business

if TYPE_CHECKING:
    from trustcart.local.demo import Demo

WEBHOOK_WAIT = 5.0  # seconds the scene waits for the order webhook
UCP_REQUEST = "order me a pearl milk tea under 30 CNY"


def _remote(options: list[dict[str, Any]]) -> dict[str, Any] | None:
    for option in options:
        if any(str(item["product_id"]).startswith("ucp:") for item in option["items"]):
            return option
    return None


def ucp_scene(demo: Demo) -> None:
    """Add the UCP business, compare across it and the marketplace, buy from it."""
    demo.console.rule("[bold]UCP: the agent buys from a UCP business over HTTP")
    url = demo.d.endpoints.ucp
    if not url:
        demo.refused("this installation runs no UCP business")
        return
    memory = InMemoryMemory()
    business = add_business(memory, url)
    if demo.d.ucp_inbox is not None:
        demo.d.ucp_inbox.add(memory)  # the business's order webhooks land in this memory
    demo.step(
        f"Alice adds the UCP business {business.url}: its profile speaks UCP 2026-04-08 over "
        f"REST, checkout and catalog, takes the trustcart payment handler "
        f"({business.handler_id}) and lists {len(business.signing_keys)} signing keys"
    )
    tools = tools_for(demo.d, demo.clients, approver=demo.alice_says_yes, memory=memory)
    demo.console.print(f'  Alice: "{UCP_REQUEST}"')
    found = tools.compare(UCP_REQUEST)
    demo.options_table(found["options"])
    option = _remote(found["options"])
    if option is None:
        demo.refused("the business offered nothing the planner kept")
        return
    try:
        proposal = tools.propose_cart(str(option["option_id"]))
        line = proposal["items"][0]
        demo.step(
            f"the business's checkout session quotes {line['title']} from "
            f"{line['merchant_name']}: {proposal['total']['amount']} "
            f"{proposal['total']['currency']} delivered; its figures add up"
        )
        tools.request_approval(str(proposal["proposal_id"]))
        paid = tools.pay(str(proposal["proposal_id"]))
    except ToolRefused as refusal:
        demo.refusal("the agent", refusal)
        return
    for order in paid["orders"]:
        purchase = tools.purchases[str(order["out_trade_no"])]
        demo.step("the agent completed the UCP session with its restricted payment token")
        _show_order_webhook(demo, memory, business.url, str(order["out_trade_no"]))
        demo.finish("ucp", purchase)


def _show_order_webhook(demo: Demo, memory: Memory, business: str, order_id: str) -> None:
    """Wait a little for the business's order webhook (the relay sends it in the background)."""
    deadline = time.monotonic() + WEBHOOK_WAIT
    while time.monotonic() < deadline:
        status = latest_statuses(memory).get((business, order_id))
        if status is not None:
            demo.step(
                f"the business's signed order webhook arrived and was verified with its "
                f"profile's key: order {order_id} is {status}"
            )
            return
        time.sleep(0.1)
    demo.console.print(f"  (no order webhook for {order_id} yet: the relay keeps trying)")
