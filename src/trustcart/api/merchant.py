"""The marketplace's HTTP shell: ACT CID endpoints for agents, payment notices from the PSP.

Reads are public (catalog, keys, payment capability). Every POST must carry an RFC 9421
signature (``api.agent_auth.require_signed_request``): agent routes accept the ``agent`` role
and only for the agent the body names; ``/payment-notifications`` accepts only the configured
PSP, and only with a receipt signed by that PSP whose fields and ``cart_digest`` match.
``GET /orders/{out_trade_no}`` is signed too and answers only the order's agent or the PSP
(anyone else gets the same 404 as for an unknown order). The agent's reads for comparing and
understanding requests, ``/products/{id}/offers`` and ``/catalog/vocabulary``, are signed GETs
for the ``agent`` role: they cost the marketplace work, so they are not anonymous. Errors are
problem+json with the codes of ``CommonProblem`` and ``CommerceProblem``.

    GET  /.well-known/jwks.json                               all merchant keys
    GET  /merchants                                           merchants with their kid
    GET  /merchants/{id}/.well-known/act-payment-capability.json   CID-PCA-NEG one-way
    GET  /products/{product_id}                               CID-MER-CAT item
    GET  /products/{product_id}/offers[?lat=&lon=]            one product at every shop (signed)
    GET  /catalog/vocabulary                                  the catalog's own words (signed)
    POST /intent-context                                      CID-INT-XFR
    POST /merchants/{id}/payment-negotiation                  CID-PCA-NEG two-way
    POST /carts                                               CID-CART-CFM (201, signed cart)
    GET  /orders/{out_trade_no}                               order status
    POST /payment-notifications                               the PSP's payment notice
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse

from trustcart.api.agent_auth import (
    RequestVerifier,
    VerifiedRequest,
    require_signed_get,
    require_signed_request,
)
from trustcart.api.common import create_app
from trustcart.api.openapi import merchant as contract
from trustcart.api.openapi import merchant_catalog
from trustcart.commerce.errors import CommerceError, CommerceProblem, NotFound
from trustcart.commerce.requests import PaymentNotice, parse_payment_notice, receipt_agrees
from trustcart.commerce.service import MerchantService
from trustcart.core.geo import GeoPoint
from trustcart.core.typs import RECEIPT_TYP
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.jws import verify_compact
from trustcart.crypto.keys import PublicKey
from trustcart.trust.directory import usable_key

AGENT_ROLE = "agent"
PSP_ROLE = "psp"


def _require_role(verified: VerifiedRequest, role: str) -> None:
    if verified.role != role:
        raise CommerceError(
            CommerceProblem.ROLE_NOT_ALLOWED, f"this endpoint is for the {role} role", status=403
        )


def _require_agent(verified: VerifiedRequest, body: dict[str, Any]) -> None:
    """The signer must be an agent, and the agent the body speaks for."""
    _require_role(verified, AGENT_ROLE)
    named = body.get("agent_id")
    if named is not None and named != verified.party_id:
        raise CommerceError(
            CommerceProblem.AGENT_MISMATCH, "agent_id differs from the signing agent", status=403
        )


def _verified_receipt(
    verifier: RequestVerifier, psp_id: str, notice: PaymentNotice
) -> dict[str, Any]:
    """The notice's receipt, verified with a current key of *our* PSP, agreeing with the notice.

    The signed request proves who sent the notice; the receipt proves what was paid, and its
    ``cart_digest`` ties the payment to the exact cart this merchant signed.
    """
    now = verifier.clock.now()

    def psp_key(kid: str) -> PublicKey | None:
        entry = usable_key(verifier.directory, kid, now, roles=(PSP_ROLE,))
        return entry.public_key if entry is not None and entry.party_id == psp_id else None

    try:
        payload = verify_compact(notice.receipt, psp_key, typ=RECEIPT_TYP).payload
    except InvalidSignature as e:
        raise CommerceError(
            CommerceProblem.RECEIPT_INVALID, "the payment receipt does not verify", status=403
        ) from e
    if not receipt_agrees(notice, payload):
        raise CommerceError(
            CommerceProblem.RECEIPT_INVALID,
            "the payment receipt disagrees with the notice",
            status=403,
        )
    return payload


def create_merchant_app(service: MerchantService, request_verifier: RequestVerifier) -> FastAPI:
    """The merchant marketplace app; ``request_verifier`` should allow roles agent and psp."""
    app = create_app("trustcart merchant")
    app.state.request_verifier = request_verifier
    app.state.merchant_service = service

    @app.get("/.well-known/jwks.json", **contract.KEYS.route())
    def merchant_jwks() -> dict[str, Any]:
        return service.merchant_jwks()

    @app.get("/merchants", **contract.MERCHANTS.route())
    def merchants() -> dict[str, Any]:
        return {"merchants": service.merchants()}

    @app.get(
        "/merchants/{merchant_id}/.well-known/act-payment-capability.json",
        **contract.CAPABILITY.route(),
    )
    def payment_capability(merchant_id: str) -> dict[str, Any]:
        return service.payment_capability(merchant_id)

    @app.get("/products/{product_id}", **contract.PRODUCT_ITEM.route())
    def product(product_id: str) -> dict[str, Any]:
        return service.catalog_item(product_id)

    @app.get("/products/{product_id}/offers", **merchant_catalog.OFFERS.route())
    def product_offers(
        product_id: str,
        lat: str | None = None,
        lon: str | None = None,
        verified: VerifiedRequest = Depends(require_signed_get),  # noqa: B008
    ) -> dict[str, Any]:
        _require_role(verified, AGENT_ROLE)
        # A bad coordinate is a ValidationError: problem+json 400 (``api.common``).
        location = None if lat is None and lon is None else GeoPoint.parse(lat, lon)
        return service.compare(product_id, location)

    @app.post("/baskets/plan", **merchant_catalog.BASKET_PLAN.route())
    def plan_basket(
        verified: VerifiedRequest = Depends(require_signed_request),  # noqa: B008
    ) -> dict[str, Any]:
        _require_role(verified, AGENT_ROLE)
        return service.plan_basket(merchant_catalog.BASKET_PLAN.check(verified.json))

    @app.get("/catalog/vocabulary", **merchant_catalog.VOCABULARY.route())
    def catalog_vocabulary(
        verified: VerifiedRequest = Depends(require_signed_get),  # noqa: B008
    ) -> dict[str, Any]:
        _require_role(verified, AGENT_ROLE)
        return service.vocabulary()

    @app.post("/intent-context", **contract.INTENT.route())
    def intent_context(
        verified: VerifiedRequest = Depends(require_signed_request),  # noqa: B008
    ) -> dict[str, Any]:
        _require_agent(verified, verified.json)
        body = contract.INTENT.check(verified.json)
        return service.query_intent_context(body, agent_id=verified.party_id)

    @app.post("/merchants/{merchant_id}/payment-negotiation", **contract.NEGOTIATE.route())
    def payment_negotiation(
        merchant_id: str,
        verified: VerifiedRequest = Depends(require_signed_request),  # noqa: B008
    ) -> dict[str, Any]:
        _require_agent(verified, verified.json)
        return service.negotiate_payment(merchant_id, contract.NEGOTIATE.check(verified.json))

    @app.post("/carts", status_code=201, **contract.CART.route())
    def confirm_cart(
        verified: VerifiedRequest = Depends(require_signed_request),  # noqa: B008
    ) -> JSONResponse:
        body = verified.json
        _require_agent(verified, body)
        contract.CART.check(body)
        if "agent_id" not in body:
            body = {**body, "agent_id": verified.party_id}
        confirmed = service.confirm_cart(body)
        return JSONResponse(
            confirmed.to_json(),
            status_code=201,
            headers={"Location": f"/orders/{confirmed.out_trade_no}"},
        )

    @app.get("/orders/{out_trade_no}", **contract.ORDER_STATUS.route())
    def order(
        out_trade_no: str,
        verified: VerifiedRequest = Depends(require_signed_get),  # noqa: B008
    ) -> dict[str, Any]:
        found = service.order(out_trade_no)
        allowed = (verified.role == AGENT_ROLE and verified.party_id == found.agent_id) or (
            verified.role == PSP_ROLE and verified.party_id == service.psp_id
        )
        if not allowed:  # same answer as an unknown order: no probing of order numbers
            raise NotFound(CommerceProblem.UNKNOWN_ORDER, f"no order {out_trade_no}")
        return found.to_json()

    @app.post("/payment-notifications", **contract.NOTICE.route())
    def payment_notification(
        verified: VerifiedRequest = Depends(require_signed_request),  # noqa: B008
    ) -> dict[str, Any]:
        _require_role(verified, PSP_ROLE)
        if verified.party_id != service.psp_id:
            raise CommerceError(
                CommerceProblem.ROLE_NOT_ALLOWED,
                "only the merchant's PSP sends payment notices",
                status=403,
            )
        notice = parse_payment_notice(contract.NOTICE.check(verified.json))
        receipt = _verified_receipt(request_verifier, service.psp_id, notice)
        paid = service.mark_paid(
            notice.out_trade_no,
            notice.trade_no,
            notice.amount,
            notice.paid_at,
            cart_digest=receipt["cart_digest"],
            merchant_id=notice.merchant_id,
        )
        return paid.to_json()

    return app
