"""``trustcart demo``'s dispute scene (TSD-ATT-DSP): a claim decided from the evidence.

Alice says the agent's first purchase never reached her. The dispute service gathers the
order's evidence bundle from the parties' records, verifies it offline against the
installation's trust anchors, and applies the written rules (docs/disputes.md): the payment
was within the IAC and the merchant's signed ``fulfillment-completed`` record is dated within
the delivery promise, so the claim is declined, naming the exact signed evidence it rests on,
and the decision is logged (a PSP-signed ``decision-logged`` record). Alice appeals, which
hands the dispute to a person. The order's bundle is packaged again, now with the decision
record in it, and joins the bundles the demo verifies.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from trustcart.local.disputes import PartyEvidence, dispute_service
from trustcart.local.persona import IDENTITY
from trustcart.local.witness import anchor_evidence

if TYPE_CHECKING:
    from trustcart.local.demo import Demo

CLAIM = "the tea never reached me"


def dispute_scene(demo: Demo) -> None:
    """Open, decide and appeal a dispute on the demo's first purchase."""
    from trustcart.disputes.records import Opener, OpenerRole

    demo.console.rule("[bold]Dispute: a claim decided from the evidence (TSD-ATT-DSP)")
    if not demo.tools.purchases:  # pragma: no cover - the scenes before always buy
        raise RuntimeError("the demo has no purchase to dispute")
    order_id = next(iter(demo.tools.purchases))
    service = dispute_service(demo.d)
    alice = Opener(OpenerRole.PERSON, IDENTITY)
    demo.step(f"Alice opens a dispute on {order_id}: {CLAIM!r}")
    dispute = service.open(order_id, alice, CLAIM)
    decision = dispute["decision"]
    demo.step(
        f"evidence gathered and verified against the installation's anchors; "
        f"{dispute['dispute_id']} is {dispute['state']}: {decision['outcome']} "
        f"({decision['reason_code']}): {decision['detail']}"
    )
    for item in decision["evidence"]:
        demo.step(f"  rests on {item}")
    demo.step(
        f"decision {decision['decision_id']} logged (act:commerce:decision-logged, PSP-signed)"
    )
    appealed = service.appeal(dispute["dispute_id"], alice, "I still have no tea")
    demo.step(f"Alice appeals: the dispute is {appealed['state']}, for a person to decide")
    demo.result.disputes.append((str(decision["outcome"]), str(decision["reason_code"])))
    bundle = PartyEvidence(demo.d).gather(order_id, IDENTITY)
    if bundle is None:  # pragma: no cover - the purchase is in Alice's records
        raise RuntimeError(f"no evidence for {order_id}")
    bundle = anchor_evidence(demo.d, dict(bundle))  # the witness's anchors, as every demo bundle
    path = demo.out / f"{len(demo.result.bundles) + 1:02d}-dispute-{order_id}.json"
    path.write_text(json.dumps(bundle, indent=1, ensure_ascii=False), encoding="utf-8")
    demo.result.bundles.append(path)
    demo.step(f"evidence bundle with the decision record written: {path}")
