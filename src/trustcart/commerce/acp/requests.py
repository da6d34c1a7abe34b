"""ACP request bodies -> the checkout's drafts and changes (pure).

Fields the checkout uses are type-checked and a bad one is a 400 ``AcpError`` naming it by
JSONPath; fields it does not use are ignored, as ACP asks of servers ("SHOULD ignore unknown
fields"), and the ones worth keeping (affiliate attribution, order notes, the agent's
capabilities, an intent trace) are kept in the session's ``extras``. Two readings beyond the
pinned schema, both in the pinned examples: a line item's ``quantity`` (absent from ``Item``,
default 1) and a selected option given as ``{"type": "shipping", "shipping": {"option_id":
...}}`` (the MCP example's form).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trustcart.commerce.acp.errors import AcpCode, AcpError
from trustcart.commerce.checkout import (
    Address,
    Buyer,
    CheckoutItem,
    Contact,
    merge_items,
    normalize_codes,
)
from trustcart.commerce.checkout_service import CheckoutChanges
from trustcart.core.errors import ValidationError

KEPT_EXTRAS = ("affiliate_attribution", "order_notes", "capabilities", "metadata", "locale")


def _invalid(param: str, message: str, code: AcpCode = AcpCode.INVALID) -> AcpError:
    return AcpError(400, code, message, param=param)


def _object(value: Any, param: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _invalid(param, f"{param} must be an object")
    return value


def _string(obj: Mapping[str, Any], key: str, param: str, *, required: bool = False) -> str | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise _invalid(f"{param}.{key}", f"{param}.{key} is required", AcpCode.MISSING)
        return None
    if not isinstance(value, str) or len(value) > 500:
        raise _invalid(f"{param}.{key}", f"{param}.{key} must be a string")
    return value


def parse_items(value: Any, param: str = "$.line_items") -> tuple[CheckoutItem, ...]:
    if not isinstance(value, list) or not value:
        raise _invalid(param, "line_items must be a non-empty list", AcpCode.MISSING)
    items = []
    for index, raw in enumerate(value):
        where = f"{param}[{index}]"
        obj = _object(raw, where)
        product_id = _string(obj, "id", where, required=True)
        quantity = obj.get("quantity", 1)
        try:
            items.append(CheckoutItem(str(product_id), quantity))
        except ValidationError as e:
            raise _invalid(f"{where}.quantity", str(e)) from e
    try:
        return merge_items(items)
    except ValidationError as e:
        raise _invalid(param, str(e)) from e


def parse_buyer(value: Any, param: str = "$.buyer") -> Buyer:
    obj = _object(value, param)
    email = _string(obj, "email", param, required=True)
    try:
        return Buyer(
            email=str(email),
            first_name=_string(obj, "first_name", param) or _string(obj, "full_name", param),
            last_name=_string(obj, "last_name", param),
            phone_number=_string(obj, "phone_number", param),
        )
    except ValidationError as e:
        raise _invalid(f"{param}.email", str(e)) from e


def parse_address(value: Any, param: str) -> Address:
    obj = _object(value, param)
    fields = {
        name: _string(obj, name, param, required=name != "line_two")
        for name in ("name", "line_one", "line_two", "city", "state", "country", "postal_code")
    }
    try:
        return Address(**{k: v or "" for k, v in fields.items()})
    except ValidationError as e:
        raise _invalid(param, str(e)) from e


def parse_contact(value: Any, param: str = "$.fulfillment_details") -> Contact:
    obj = _object(value, param)
    address = obj.get("address")
    return Contact(
        name=_string(obj, "name", param),
        phone_number=_string(obj, "phone_number", param),
        email=_string(obj, "email", param),
        address=parse_address(address, f"{param}.address") if address is not None else None,
    )


def parse_codes(body: Mapping[str, Any]) -> tuple[str, ...] | None:
    """``discounts.codes`` (or the deprecated ``coupons``); ``None`` when neither is sent."""
    if "discounts" in body and body["discounts"] is not None:
        raw = _object(body["discounts"], "$.discounts").get("codes")
        param = "$.discounts.codes"
    elif body.get("coupons") is not None:
        raw, param = body["coupons"], "$.coupons"
    else:
        return None
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _invalid(param, "discount codes must be a list of strings")
    try:
        return normalize_codes(raw)
    except ValidationError as e:
        raise _invalid(param, str(e)) from e


def parse_selected_option(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise _invalid("$.selected_fulfillment_options", "must be a list")
    for index, raw in enumerate(value):
        obj = _object(raw, f"$.selected_fulfillment_options[{index}]")
        nested = obj.get(str(obj.get("type", "")))
        source = nested if isinstance(nested, dict) else obj
        option = source.get("option_id")
        if isinstance(option, str) and option:
            return option
    return None


def _extras(body: Mapping[str, Any]) -> dict[str, Any]:
    return {f"acp_{name}": body[name] for name in KEPT_EXTRAS if body.get(name) is not None}


@dataclass(frozen=True)
class CreateRequest:
    currency: str
    items: tuple[CheckoutItem, ...]
    buyer: Buyer | None
    contact: Contact | None
    codes: tuple[str, ...]
    extras: dict[str, Any]


def parse_create(body: Mapping[str, Any]) -> CreateRequest:
    currency = body.get("currency")
    if not isinstance(currency, str) or not currency:
        raise _invalid("$.currency", "currency is required", AcpCode.MISSING)
    return CreateRequest(
        currency=currency,
        items=parse_items(body.get("line_items")),
        buyer=parse_buyer(body["buyer"]) if body.get("buyer") is not None else None,
        contact=(
            parse_contact(body["fulfillment_details"])
            if body.get("fulfillment_details") is not None
            else None
        ),
        codes=parse_codes(body) or (),
        extras=_extras(body),
    )


def parse_update(body: Mapping[str, Any]) -> CheckoutChanges:
    items = body.get("line_items")
    return CheckoutChanges(
        items=parse_items(items) if items is not None else None,
        buyer=parse_buyer(body["buyer"]) if body.get("buyer") is not None else None,
        contact=(
            parse_contact(body["fulfillment_details"])
            if body.get("fulfillment_details") is not None
            else None
        ),
        selected_option_id=parse_selected_option(body.get("selected_fulfillment_options")),
        codes=parse_codes(body),
        extras=_extras(body),
    )


@dataclass(frozen=True)
class CompleteRequest:
    token: str
    handler_id: str | None
    buyer: Buyer | None


AUTHENTICATED = ("authenticated", "attempt_acknowledged", "informational")


def _check_authentication(value: Any) -> None:
    """A 3DS ``authentication_result`` that did not authenticate stops the payment."""
    if value is None:
        return
    outcome = _object(value, "$.authentication_result").get("outcome")
    if outcome not in AUTHENTICATED:
        raise _invalid(
            "$.authentication_result.outcome",
            f"issuer authentication did not succeed ({str(outcome)[:40]}): nothing was charged",
            AcpCode.AUTHENTICATION_FAILED,
        )


def parse_complete(body: Mapping[str, Any]) -> CompleteRequest:
    _check_authentication(body.get("authentication_result"))
    if body.get("payment_data") is None:
        raise _invalid("$.payment_data", "payment_data is required", AcpCode.MISSING)
    payment = _object(body["payment_data"], "$.payment_data")
    instrument = payment.get("instrument")
    if instrument is None:
        raise _invalid(
            "$.payment_data.instrument",
            "this merchant takes a delegated payment token (payment_data.instrument)",
            AcpCode.UNSUPPORTED,
        )
    instrument = _object(instrument, "$.payment_data.instrument")
    credential = instrument.get("credential")
    token = (
        _object(credential, "$.payment_data.instrument.credential").get("token")
        if credential is not None
        else instrument.get("token")
    )
    if not isinstance(token, str) or not 1 <= len(token) <= 500:
        raise _invalid(
            "$.payment_data.instrument.credential.token",
            "a payment token is required",
            AcpCode.MISSING,
        )
    return CompleteRequest(
        token=token,
        handler_id=_string(payment, "handler_id", "$.payment_data"),
        buyer=parse_buyer(body["buyer"]) if body.get("buyer") is not None else None,
    )
