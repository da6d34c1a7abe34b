"""UCP requests into the checkout state machine's terms (pure); every refusal a ``UcpError``.

Rules, in the order they are checked:

* ``UCP-Agent`` (RFC 8941 dictionary) must name the platform's ``profile`` URL (missing or
  malformed: ``invalid_profile_url``, UCP's negotiation error); the platform is
  identified by it (sessions and idempotency keys are scoped to it). A ``version`` member, when
  sent, must be ours (``version_unsupported``).
* A ``ucp`` object in a request body (the schema omits it from requests, some platforms send it)
  must carry our version, and every capability it names must be ours
  (``capability_unsupported``); so must any top-level key that is a reverse-domain name.
* ``line_items``: 1..50 items ``{"item": {"id"}, "quantity"}``; ``discounts.codes``;
  ``fulfillment.methods[0]``: a shipping destination (postal address) and the selected option;
  ``buyer``; ``act.iac``: an ACT intent credential (compact JWS) the session binds to.
* complete: ``act.iac`` as above (optional); ``payment.instruments``: the selected (or only)
  one, of our handler, with a ``credential.token`` (a trustcart restricted payment token).
* a destination that is not yet a full postal address (street, locality, country, postal
  code) is kept out: the session stays ``incomplete`` and says an address is needed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from http_sfv.dictionary import Dictionary

from trustcart.commerce.checkout import (
    Address,
    Buyer,
    CheckoutItem,
    Contact,
    merge_items,
    normalize_codes,
)
from trustcart.commerce.ucp import VERSION
from trustcart.commerce.ucp.errors import UcpCode, UcpError
from trustcart.commerce.ucp.profile import ACT_FIELD, CAPABILITIES, HANDLER_ID
from trustcart.core.errors import ValidationError

_REVERSE_DOMAIN = re.compile(r"^[a-z][a-z0-9]*(?:\.[a-z][a-z0-9_]*)+$")
_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")


def _invalid(content: str, path: str) -> UcpError:
    return UcpError(UcpCode.INVALID_REQUEST, content, path=path)


def platform_profile(header: str | None) -> str:
    """The platform's profile URL from ``UCP-Agent``; checks its ``version`` member if any.

    >>> platform_profile('profile="https://agent.example/.well-known/ucp"')
    'https://agent.example/.well-known/ucp'
    """
    if not header:
        raise UcpError(UcpCode.INVALID_PROFILE_URL, "send a UCP-Agent header", path="UCP-Agent")
    parsed = Dictionary()
    try:
        parsed.parse(header.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as e:
        raise UcpError(
            UcpCode.INVALID_PROFILE_URL, "UCP-Agent is not an RFC 8941 dictionary", path="UCP-Agent"
        ) from e
    profile = parsed.get("profile")
    url = getattr(profile, "value", None)
    if not isinstance(url, str) or not url.startswith(("http://", "https://")) or len(url) > 500:
        raise UcpError(
            UcpCode.INVALID_PROFILE_URL, "UCP-Agent must name the profile URL", path="UCP-Agent"
        )
    version = getattr(parsed.get("version"), "value", None)
    if version is not None and version != VERSION:
        raise UcpError(
            UcpCode.VERSION_UNSUPPORTED, f"this business speaks UCP {VERSION}", path="UCP-Agent"
        )
    return url


def check_negotiation(body: dict[str, Any]) -> None:
    """Refuse a body that asks for another version or a capability we do not have."""
    meta = body.get("ucp")
    if meta is not None:
        if not isinstance(meta, dict):
            raise _invalid("ucp must be an object", "$.ucp")
        if "version" in meta and meta["version"] != VERSION:
            raise UcpError(
                UcpCode.VERSION_UNSUPPORTED, f"this business speaks UCP {VERSION}", path="$.ucp"
            )
        named = meta.get("capabilities", {})
        if not isinstance(named, dict):
            raise _invalid("ucp.capabilities must be an object", "$.ucp.capabilities")
        for name in named:
            if name not in CAPABILITIES:
                raise UcpError(
                    UcpCode.CAPABILITY_UNSUPPORTED,
                    f"capability {name} is not supported",
                    path=f"$.ucp.capabilities.{name}",
                )
    for key in body:
        if _REVERSE_DOMAIN.match(key) and key not in CAPABILITIES:
            raise UcpError(
                UcpCode.CAPABILITY_UNSUPPORTED,
                f"capability {key} is not supported",
                path=f"$.{key}",
            )


@dataclass(frozen=True)
class CheckoutInput:
    """What a create or update asks for (``None``: not given)."""

    items: tuple[CheckoutItem, ...]
    buyer: Buyer | None
    contact: Contact | None
    selected_option_id: str | None
    codes: tuple[str, ...]
    iac: str | None


def _object(value: Any, path: str, *, required: bool = False) -> dict[str, Any]:
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise _invalid("must be an object", path)
    return value


def _items(raw: Any) -> tuple[CheckoutItem, ...]:
    if not isinstance(raw, list) or not raw:
        raise _invalid("line_items must be a non-empty array", "$.line_items")
    items = []
    for index, line in enumerate(raw):
        path = f"$.line_items[{index}]"
        item = _object(
            _object(line, path, required=True).get("item"), f"{path}.item", required=True
        )
        try:
            items.append(CheckoutItem(item.get("id"), line.get("quantity")))  # type: ignore[arg-type]
        except ValidationError as e:
            raise _invalid(str(e), path) from e
    try:
        return merge_items(items)
    except ValidationError as e:
        raise _invalid(str(e), "$.line_items") from e


def _contact(fulfillment: dict[str, Any]) -> tuple[Contact | None, str | None]:
    methods = fulfillment.get("methods", [])
    if not isinstance(methods, list) or len(methods) > 1:
        raise _invalid("one fulfillment method per checkout", "$.fulfillment.methods")
    if not methods:
        return None, None
    method = _object(methods[0], "$.fulfillment.methods[0]", required=True)
    if method.get("type", "shipping") != "shipping":
        raise _invalid("only shipping is offered", "$.fulfillment.methods[0].type")
    groups = method.get("groups") or [{}]
    option = _object(groups[0], "$.fulfillment.methods[0].groups[0]").get("selected_option_id")
    destinations = method.get("destinations") or []
    if not isinstance(destinations, list) or not destinations:
        return None, option if isinstance(option, str) else None
    path = "$.fulfillment.methods[0].destinations[0]"
    d = _object(destinations[0], path, required=True)
    chosen = option if isinstance(option, str) else None
    if not all(d.get(k) for k in ("street_address", "address_locality", "address_country",
                                  "postal_code")):  # fmt: skip
        return None, chosen  # not a full postal address yet: the session stays incomplete
    name = " ".join(str(d[k]) for k in ("first_name", "last_name") if d.get(k)) or "Recipient"
    try:
        address = Address(
            name=name,
            line_one=d["street_address"],
            line_two=d.get("extended_address") or "",
            city=d["address_locality"],
            state=d.get("address_region") or d["address_locality"],
            country=d["address_country"],
            postal_code=d["postal_code"],
        )
        contact = Contact(name=name, phone_number=d.get("phone_number"), address=address)
    except ValidationError as e:
        raise _invalid(str(e), path) from e
    return contact, chosen


def _buyer(raw: Any) -> Buyer | None:
    buyer = _object(raw, "$.buyer")
    if not buyer:
        return None
    try:
        return Buyer(
            email=buyer.get("email"),  # type: ignore[arg-type]
            first_name=buyer.get("first_name"),
            last_name=buyer.get("last_name"),
            phone_number=buyer.get("phone_number"),
        )
    except ValidationError as e:
        raise _invalid(str(e), "$.buyer") from e


def _iac(raw: Any) -> str | None:
    act = _object(raw, f"$.{ACT_FIELD}")
    if not act:
        return None
    token = act.get("iac")
    if not isinstance(token, str) or len(token) > 16_384 or not _JWS.match(token):
        raise _invalid("act.iac must be a compact JWS", f"$.{ACT_FIELD}.iac")
    return token


def checkout_input(body: dict[str, Any]) -> CheckoutInput:
    """A create or update body (UCP replaces the session's fields with what it sends)."""
    check_negotiation(body)
    discounts = _object(body.get("discounts"), "$.discounts")
    codes = discounts.get("codes", [])
    if not isinstance(codes, list):
        raise _invalid("discounts.codes must be an array", "$.discounts.codes")
    try:
        normalized = normalize_codes(codes)
    except ValidationError as e:
        raise _invalid(str(e), "$.discounts.codes") from e
    contact, option = _contact(_object(body.get("fulfillment"), "$.fulfillment"))
    return CheckoutInput(
        items=_items(body.get("line_items")),
        buyer=_buyer(body.get("buyer")),
        contact=contact,
        selected_option_id=option,
        codes=normalized,
        iac=_iac(body.get(ACT_FIELD)),
    )


def complete_iac(body: dict[str, Any]) -> str | None:
    """An ACT IAC presented with complete (``act.iac``), bound to the session before paying."""
    return _iac(body.get(ACT_FIELD))


def payment_token(body: dict[str, Any]) -> str:
    """The restricted payment token of a complete request's selected instrument."""
    check_negotiation(body)
    payment = _object(body.get("payment"), "$.payment", required=True)
    instruments = payment.get("instruments")
    if not isinstance(instruments, list) or not instruments:
        raise _invalid("payment.instruments must name one instrument", "$.payment.instruments")
    chosen = [i for i in instruments if isinstance(i, dict) and i.get("selected")]
    if len(chosen) > 1 or (not chosen and len(instruments) > 1):
        raise _invalid("select exactly one instrument", "$.payment.instruments")
    instrument = chosen[0] if chosen else _object(instruments[0], "$.payment.instruments[0]")
    if instrument.get("handler_id") != HANDLER_ID:
        raise UcpError(
            UcpCode.PAYMENT_HANDLER_UNSUPPORTED,
            f"this business takes payment handler {HANDLER_ID} only",
            path="$.payment.instruments[0].handler_id",
        )
    credential = _object(instrument.get("credential"), "$.payment.instruments[0].credential")
    token = credential.get("token")
    if not isinstance(token, str) or not 1 <= len(token) <= 4096:
        raise _invalid(
            "the instrument's credential.token must be a payment token",
            "$.payment.instruments[0].credential.token",
        )
    return token


def cart_input(body: dict[str, Any], *, cart_id: str | None = None) -> CheckoutInput:
    """A create or update cart body (``cart.json``): line items, buyer, discount codes.

    An update replaces the whole cart (UCP), so codes that are not sent are cleared; its ``id``,
    when sent, must be the cart's (``cart_id``). ``context``, ``signals`` and ``attribution``
    are accepted and not used: our merchants price in their own currency, wherever the buyer is.
    """
    check_negotiation(body)
    if cart_id is not None and body.get("id", cart_id) != cart_id:
        raise _invalid("id is not this cart's", "$.id")
    discounts = _object(body.get("discounts"), "$.discounts")
    codes = discounts.get("codes", [])
    if not isinstance(codes, list):
        raise _invalid("discounts.codes must be an array", "$.discounts.codes")
    try:
        normalized = normalize_codes(codes)
    except ValidationError as e:
        raise _invalid(str(e), "$.discounts.codes") from e
    return CheckoutInput(
        items=_items(body.get("line_items")),
        buyer=_buyer(body.get("buyer")),
        contact=None,
        selected_option_id=None,
        codes=normalized,
        iac=None,
    )
