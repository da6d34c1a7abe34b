"""HTTP shell of the dispute service (TSD-ATT-DSP), mounted on the payment provider's app.

    POST /disputes                     {"out_trade_no", "reason"} -> 201, the dispute as it ends
                                       (opened, evidence gathered and verified, decided: the
                                       same call as ``trustcart disputes open``)
    GET  /disputes                     {"disputes": [...]}: the caller's, newest first
    GET  /disputes/{dispute_id}        one dispute
    POST /disputes/{dispute_id}/appeal {"reason"} -> 200, the dispute, now ``appealed``

Why the PSP: a decision posts a refund in the PSP's ledger and is logged as a PSP-signed
``decision-logged`` record, in one transaction of the PSP's store; the PSP also knows who paid
(the wallet's delegator identity) and whom (the merchant), which is what decides who may ask.

Who is calling is proven, never read from the body: every route is RFC 9421-signed
(``api.agent_auth``) by a key of the installation's key directory, with the same replay cache
as the PSP's other routes. The signer's directory entry names the party:

* role ``delegator`` (the person's wallet key, the key that signs their IACs, approvals and
  bindings) -> the person, by delegator identity;
* role ``merchant`` -> that merchant.

Any other signer (an agent, the status service, the log) is refused ``dispute-forbidden``
(403): an agent's key is the assistant's, shared by every person it shops for, so it proves
nobody's identity; an agent opens a dispute by having the person's wallet sign the request.
The service then checks the party against the payment: only the payer or the paid merchant
may open (403 otherwise), and another party's dispute looks like no dispute (404). Refusals are
problem+json with the ``DisputeProblem`` codes (docs/errors.md). One dispute per order: a
second open is 409 ``dispute-already-open`` whose ``dispute_id`` names the first (a retry after
a lost answer finds it there).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, Request
from starlette.concurrency import run_in_threadpool

from trustcart.api.agent_auth import RequestVerifier, VerifiedRequest, verify_signed
from trustcart.api.openapi import disputes as contract
from trustcart.core.problem import CommonProblem, ProblemError
from trustcart.disputes.errors import DisputeConflict, DisputeError, DisputeProblem
from trustcart.disputes.records import Opener, OpenerRole
from trustcart.disputes.service import DisputeService
from trustcart.trust.directory import ROLES

# The directory roles that name a party of a payment; every other signer is refused.
PARTY_ROLES = {"delegator": OpenerRole.PERSON, "merchant": OpenerRole.MERCHANT}
T = TypeVar("T")


def dispute_verifier(base: RequestVerifier) -> RequestVerifier:
    """``base``'s directory, replay cache and clock, admitting a signature by any role.

    Every role is admitted so that a signed stranger gets the documented 403, not 401; the
    signature, its freshness and its nonce are checked exactly as on the PSP's other routes.
    """
    return RequestVerifier(base.directory, base.nonce_cache, base.clock, allowed_roles=ROLES)


def opener_of(signed: VerifiedRequest) -> Opener:
    """The party the signing key belongs to, or ``dispute-forbidden``.

    >>> from trustcart.api.agent_auth import VerifiedRequest
    >>> opener_of(VerifiedRequest("m_tea", "kid", "merchant", b"", {})).party_id
    'm_tea'
    """
    role = PARTY_ROLES.get(signed.role)
    if role is None:
        raise ProblemError(
            DisputeProblem.FORBIDDEN,
            403,
            "only the person whose wallet paid or the paid merchant may use disputes: "
            "sign with the wallet's or the merchant's key",
        )
    return Opener(role, signed.party_id)


def _verifier(request: Request) -> RequestVerifier:
    verifier = getattr(request.app.state, "dispute_verifier", None)
    if not isinstance(verifier, RequestVerifier):  # misconfigured: never accept unverified
        raise ProblemError(CommonProblem.INTERNAL, 500, "request verification is not configured")
    return verifier


async def _signed_body(request: Request) -> VerifiedRequest:
    return await verify_signed(request, _verifier(request))


async def _signed_get(request: Request) -> VerifiedRequest:
    return await verify_signed(request, _verifier(request), with_body=False)


SignedBody = Annotated[VerifiedRequest, Depends(_signed_body)]
SignedGet = Annotated[VerifiedRequest, Depends(_signed_get)]


async def _call(work: Callable[[], T]) -> T:
    """Run a service call in the thread pool; its refusals become problem+json."""
    try:
        return await run_in_threadpool(work)
    except DisputeError as e:
        raise _problem(e) from e


def _problem(error: DisputeError) -> ProblemError:
    return ProblemError(error.code, error.status, error.detail)


def add_dispute_routes(app: FastAPI, service: DisputeService, verifier: RequestVerifier) -> None:
    """Mount the dispute routes on ``app`` (the PSP's), verified by ``verifier``."""
    app.state.dispute_verifier = verifier

    @app.post("/disputes", status_code=201, **contract.OPEN_DISPUTE.route())
    async def open_dispute(signed: SignedBody) -> dict[str, Any]:
        opener = opener_of(signed)
        body = contract.OPEN_DISPUTE.check(signed.json)
        order, reason = str(body["out_trade_no"]), str(body["reason"])
        try:
            return await run_in_threadpool(service.open, order, opener, reason)
        except DisputeConflict as e:
            # The caller is a party of the order (checked before the conflict): name the
            # dispute, so a retry after a lost answer can read it.
            taken = await run_in_threadpool(service.for_order, order)
            extra = {"dispute_id": taken["dispute_id"]} if taken else {}
            raise ProblemError(e.code, e.status, e.detail, **extra) from e
        except DisputeError as e:
            raise _problem(e) from e

    @app.get("/disputes", **contract.LIST_DISPUTES.route())
    async def list_disputes(signed: SignedGet) -> dict[str, Any]:
        opener = opener_of(signed)
        return {"disputes": await _call(lambda: service.all(opener))}

    @app.get("/disputes/{dispute_id}", **contract.GET_DISPUTE.route())
    async def show_dispute(dispute_id: str, signed: SignedGet) -> dict[str, Any]:
        opener = opener_of(signed)
        return await _call(lambda: service.show(dispute_id, opener))

    @app.post("/disputes/{dispute_id}/appeal", **contract.APPEAL_DISPUTE.route())
    async def appeal_dispute(dispute_id: str, signed: SignedBody) -> dict[str, Any]:
        opener = opener_of(signed)
        body = contract.APPEAL_DISPUTE.check(signed.json)
        reason = str(body["reason"])
        return await _call(lambda: service.appeal(dispute_id, opener, reason))
