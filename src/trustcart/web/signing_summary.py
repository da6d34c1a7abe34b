"""What a signing request means, in the person's language, read from the payload it signs.

Pure. The rows are read from the very payload the browser will sign (never from what the
server meant to present), so the summary and the exact bytes shown below it cannot disagree:
for an IAC its kind, validity, total limit, per-purchase limit, merchants, categories and
quantity; for an L1 approval the merchant, the order, the amount and the cart digest; for a
binding the account and the agent; for a log record its event; for a lifecycle request the
transition.

>>> from trustcart.crypto.keys import SigningKey
>>> from trustcart.web.signing_desk import SignatureKind, SigningRequest
>>> key = SigningKey.generate().public
>>> payload = {"merchant_id": "m1", "out_trade_no": "o1", "amount": {"amount": "18.00",
...     "currency": "CNY"}, "cart_digest": "sha-256=:x:"}
>>> rows = summary_rows(SigningRequest.make("s", SignatureKind.APPROVAL, key, "t", payload), "en")
>>> rows[0], rows[2]
(('What', 'Approve this exact cart (L1)'), ('Amount', '18.00 CNY'))
"""

from __future__ import annotations

import json
from typing import Any

from trustcart.web.i18n import Translator
from trustcart.web.signing_desk import SignatureKind, SigningRequest


def _money(value: Any, currency: str = "") -> str:
    if isinstance(value, dict):
        return f"{value.get('amount')} {value.get('currency')}"
    return f"{value} {currency}".strip()


def _listed(values: Any, t: Translator) -> str:
    return ", ".join(str(v) for v in values) if values else t("sign.any")


def _iac_rows(payload: dict[str, Any], t: Translator) -> list[tuple[str, str]]:
    currency = str(payload.get("currency", ""))
    commerce = payload.get("ext", {}).get("commerce", {})
    rows = [
        (t("sign.mode"), str(payload.get("delegation_mode"))),
        (t("sign.valid_from"), str(payload.get("validity_start_time"))),
        (t("sign.valid_until"), str(payload.get("validity_end_time"))),
        (t("sign.max_total"), _money(payload.get("max_total_amount"), currency)),
        (t("sign.merchants"), _listed(commerce.get("allowed_merchants"), t)),
        (t("sign.categories"), _listed(commerce.get("allowed_categories"), t)),
    ]
    if "max_single_amount" in commerce:
        rows.append((t("sign.max_single"), _money(commerce["max_single_amount"], currency)))
    if "max_total_quantity" in commerce:
        rows.append((t("sign.max_quantity"), str(commerce["max_total_quantity"])))
    return rows


def summary_rows(request: SigningRequest, lang: str) -> list[tuple[str, str]]:
    """(label, value) rows saying what ``request`` signs, in ``lang``."""
    t = Translator(lang)
    payload = json.loads(request.payload_text)
    rows = [(t("sign.what"), t(f"sign.kind.{request.kind.value}"))]
    if request.kind is SignatureKind.IAC:
        rows += _iac_rows(payload, t)
    elif request.kind is SignatureKind.APPROVAL:
        rows += [
            (t("sign.merchant"), str(payload.get("merchant_id"))),
            (t("sign.amount"), _money(payload.get("amount"))),
            (t("sign.order"), str(payload.get("out_trade_no"))),
            (t("sign.cart_digest"), str(payload.get("cart_digest"))),
        ]
    elif request.kind is SignatureKind.BINDING:
        rows += [
            (t("sign.account"), str(payload.get("account_id"))),
            (t("sign.agent"), str(payload.get("agent_id"))),
        ]
    elif request.kind is SignatureKind.REGISTRATION:
        rows += [
            (t("sign.delegation"), str(payload.get("delegation_id"))),
            (t("sign.iac_digest"), str(payload.get("iac_digest"))),
        ]
    elif request.kind is SignatureKind.RECORD:
        rows.append((t("sign.event"), str(payload.get("event_type"))))
    else:
        rows.append((t("sign.transition"), str(payload.get("transition"))))
    return rows
