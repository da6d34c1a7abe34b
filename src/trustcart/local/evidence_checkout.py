"""Evidence of a protocol checkout (ACP, UCP) that an agent paid under the person's IAC.

An agent platform that presents the person's intent credential at a merchant's ACP (or UCP)
checkout is paid through the provider's ACT path (``commerce.acp.payment``): the merchant signs
the cart (``cart-confirmed``), the provider signs the receipt (``transaction-completed``) and
both land in the log, as for any ACT purchase. Such an order is not in the person's purchase
records (their assistant did not buy it), so its bundle is put together from two sources:

* the completed checkout session, which the merchant kept with the ACT parts it relied on
  (``metadata.act``: the merchant-signed cart, the PSP-signed receipt, the signed credential
  status) and the IAC it was bound to;
* the ISR behind that IAC, which only the person holds: their delegation record (the
  ``delegation`` record of ``assistant.records``, written when their wallet signed the IAC).

Rules: an order counts only when its session completed, names this order (or its PSP trade
number), carries every ACT part, and its IAC is one the person's own records hold, byte for
byte; anything else is "no such order" (``None``). Nothing here is trusted: the bundle is
verified by ``trustcart verify`` against the installation's anchors like any other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import or_, select

from trustcart.assistant.proposals import Purchase
from trustcart.assistant.records import RecordError, read_purchase
from trustcart.commerce.checkout import CheckoutStatus
from trustcart.crypto.jws import peek_payload
from trustcart.store.checkout import CheckoutSessionRow
from trustcart.store.db import Database

ACT_PARTS = ("cart", "receipt", "credential_status")


def _session_rows(db: Database, order_id: str) -> list[CheckoutSessionRow]:
    with db.read() as session:
        return list(
            session.scalars(
                select(CheckoutSessionRow).where(
                    CheckoutSessionRow.status == CheckoutStatus.COMPLETED.value,
                    CheckoutSessionRow.iac.is_not(None),
                    or_(
                        CheckoutSessionRow.out_trade_no == order_id,
                        CheckoutSessionRow.trade_no == order_id,
                    ),
                )
            )
        )


def checkout_record(
    row: CheckoutSessionRow, delegations: Iterable[Mapping[str, Any]]
) -> dict[str, Any] | None:
    """A purchase record (``assistant.records.purchase_record``'s shape) for one completed
    session bound to an IAC, or ``None`` when a part is missing or the IAC is not the person's.

    >>> checkout_record(CheckoutSessionRow(iac=None, extras={}), []) is None
    True
    """
    act = (row.extras or {}).get("act")
    if row.iac is None or not isinstance(act, Mapping):
        return None
    if not all(isinstance(act.get(name), str) for name in ACT_PARTS):
        return None
    signed = next((d for d in delegations if d.get("iac") == row.iac), None)
    if signed is None:
        return None
    return {
        "out_trade_no": row.out_trade_no,
        "proposal_id": f"{row.protocol}:{row.session_id}",
        "delegation_id": signed.get("delegation_id"),
        "mode": peek_payload(str(act["receipt"])).get("mode"),
        "isr": signed.get("isr"),
        "iac": row.iac,
        "cart": act["cart"],
        "approval": None,
        "receipt": act["receipt"],
        "trade_no": row.trade_no,
        "credential_status": act["credential_status"],
        "line": None,
    }


def checkout_purchase(
    db: Database, order_id: str, delegations: Iterable[Mapping[str, Any]]
) -> Purchase | None:
    """The protocol checkout paid under one of ``delegations`` (the person's delegation
    records) with this order number or trade number, as a ``Purchase`` (module doc)."""
    signed = list(delegations)
    for row in _session_rows(db, order_id):
        record = checkout_record(row, signed)
        if record is None:
            continue
        try:
            return read_purchase(record)
        except RecordError:
            continue
    return None
