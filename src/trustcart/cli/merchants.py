"""``trustcart merchants create | list``: onboard merchants on the default store.

The same onboarding as the web console (``local.onboarding.onboard_merchant``): the merchant
and its coupons are written in one transaction, its signing key is generated into
``$TRUSTCART_HOME/keys.json`` under ``merchant:<id>``, and the next ``trustcart serve`` /
``trustcart web`` publishes it in the merchant JWKS. ``--json`` shapes are in the README.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from trustcart.cli.app import app
from trustcart.core.home import default_database_url, trustcart_home

if TYPE_CHECKING:
    from trustcart.commerce.onboarding import CouponTerms
    from trustcart.store.db import Database

merchants_app = typer.Typer(
    help="Onboard and list merchants.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(merchants_app, name="merchants")


def _open() -> Database:
    from trustcart.local.seed import seed_if_empty
    from trustcart.store.db import Database

    home = trustcart_home()
    home.mkdir(parents=True, exist_ok=True)
    db = Database(default_database_url(home))
    db.migrate()
    seed_if_empty(db, lambda m: typer.echo(m, err=True))
    return db


def parse_coupon(text: str, currency: str) -> CouponTerms:
    """``KIND:VALUE:THRESHOLD:DESCRIPTION[:DAYS]``, e.g. ``fixed:5:30:5 off 30`` or
    ``percent:10:0:10% off everything:30``."""
    from trustcart.commerce.onboarding import DEFAULT_COUPON_DAYS, CouponTerms
    from trustcart.core.errors import ValidationError

    parts = text.split(":")
    if len(parts) not in (4, 5):
        raise ValidationError(f"coupon {text!r}: use KIND:VALUE:THRESHOLD:DESCRIPTION[:DAYS]")
    days = DEFAULT_COUPON_DAYS
    if len(parts) == 5:
        if not parts[4].strip().isdigit():
            raise ValidationError(f"coupon {text!r}: DAYS must be a whole number")
        days = int(parts[4])
    return CouponTerms.parse(
        kind=parts[0], value=parts[1], threshold=parts[2], description=parts[3],
        currency=currency, valid_days=days,
    )  # fmt: skip


@merchants_app.command("create")
def create_command(  # noqa: PLR0917 - one parameter per CLI option
    name: Annotated[str, typer.Option(help="Name in English, e.g. 'Lotus Tea'.")],
    lat: Annotated[str, typer.Option(help="Latitude of the shop, e.g. 30.2590.")],
    lon: Annotated[str, typer.Option(help="Longitude of the shop, e.g. 120.1300.")],
    category: Annotated[
        list[str], typer.Option(help="A category it sells, e.g. drinks/milk-tea (repeat).")
    ],
    name_zh: Annotated[str, typer.Option(help="Name in Chinese, e.g. 莲花茶.")] = "",
    radius_km: Annotated[str, typer.Option(help="Delivery radius in km.")] = "5",
    shipping_fee: Annotated[str, typer.Option(help="Shipping fee per order, e.g. 3.")] = "0",
    currency: Annotated[str, typer.Option(help="ISO 4217 currency.")] = "CNY",
    coupon: Annotated[
        list[str] | None,
        typer.Option(help="KIND:VALUE:THRESHOLD:DESCRIPTION[:DAYS] (repeat)."),
    ] = None,
    merchant_id: Annotated[
        str | None, typer.Option("--id", help="Merchant id (default: from the name).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the merchant as JSON.")] = False,
) -> None:
    """Create a merchant: rows, coupons, a signing key; its JWKS is published on next start."""
    from trustcart.commerce.onboarding import MerchantApplication
    from trustcart.core.clock import SystemClock
    from trustcart.core.errors import ValidationError
    from trustcart.local.keystore import KeyStore
    from trustcart.local.onboarding import onboard_merchant

    try:
        application = MerchantApplication.parse(
            name=name,
            name_zh=name_zh,
            lat=lat,
            lon=lon,
            delivery_radius_km=radius_km,
            shipping_fee=shipping_fee,
            categories=[c for value in category for c in value.split(",")],
            currency=currency,
            coupons=[parse_coupon(text, currency.upper()) for text in coupon or []],
        )
    except ValidationError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from e
    db = _open()
    try:
        onboarded = onboard_merchant(
            db,
            KeyStore(trustcart_home() / "keys.json"),
            application,
            now=SystemClock().now(),
            merchant_id=merchant_id,
        )
    except ValidationError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from e
    finally:
        db.dispose()
    if as_json:
        typer.echo(json.dumps(onboarded.to_json(), ensure_ascii=False, indent=2))
        return
    merchant = onboarded.merchant
    typer.echo(f"created {merchant.merchant_id}: {merchant.name} {merchant.name_zh}".rstrip())
    typer.echo(f"  signing key kid {onboarded.kid} (published by the next serve / web)")
    for made in onboarded.coupons:
        typer.echo(f"  coupon {made.coupon_id}: {made.description}")


@merchants_app.command("add")
def add_command(
    url: Annotated[str, typer.Argument(help="The UCP business's URL, e.g. http://127.0.0.1:8706.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the business as JSON.")] = False,
) -> None:
    """Add a UCP business by its URL: its /.well-known/ucp is fetched, checked and kept.

    Exit 0 added, 1 unreachable or unusable (nothing kept), 2 not a business URL."""
    from trustcart.assistant.ucp.errors import UcpCode, UcpError
    from trustcart.local.ucp_platform import add_business, business_json, person_memory

    db = _open()
    try:
        profile = add_business(person_memory(db), url)
    except UcpError as e:
        typer.echo(f"error: {e.code}: {e.reason}; nothing was added", err=True)
        raise typer.Exit(2 if e.code is UcpCode.BAD_URL else 1) from e
    finally:
        db.dispose()
    if as_json:
        typer.echo(json.dumps(business_json(profile), ensure_ascii=False, indent=2))
        return
    typer.echo(f"added UCP business {profile.url} (endpoint {profile.endpoint})")
    typer.echo(f"  capabilities: {', '.join(profile.capabilities)}")
    typer.echo(f"  payment handler {profile.handler_id}; {len(profile.signing_keys)} signing keys")


@merchants_app.command("list")
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print the merchants as JSON.")] = False,
) -> None:
    """Every merchant with its signing key id, products and coupons; then the UCP businesses."""
    from trustcart.local.onboarding import list_merchants
    from trustcart.local.ucp_platform import business_json, person_memory, remembered

    db = _open()
    try:
        listed = [
            {**m, "kind": "local", "url": None}
            for m in list_merchants(db, trustcart_home() / "keys.json")
        ]
        remote = [business_json(b) for b in remembered(person_memory(db)).businesses()]
    finally:
        db.dispose()
    if as_json:
        typer.echo(json.dumps({"merchants": [*listed, *remote]}, ensure_ascii=False, indent=2))
        return
    for merchant in listed:
        names = f"{merchant['name']} {merchant['name_zh']}".rstrip()
        typer.echo(
            f"{merchant['merchant_id']:<28} {names}  ({merchant['products']} products, "
            f"{merchant['coupons']} coupons, kid {merchant['kid'] or '-'})"
        )
    for business in remote:
        typer.echo(f"{business['merchant_id']:<28} UCP business at {business['url']}")
