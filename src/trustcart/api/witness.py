"""HTTP shell of the witness (``trust.witness``): where the log's anchors are kept.

    POST /anchors               {"anchor": "<act-anchor+jwt>"} -> 201 {anchor, receipt, height}
                                (200 with the existing entry for an anchor id already held with
                                the same content; 409 ``anchor-id-conflict`` for other content)
    GET  /anchors/{anchor_id}   200 {anchor, receipt, height}; 404 ``anchor-not-found``
    GET  /.well-known/jwks.json the witness key (receipts are signed with it)

Refusals are problem+json with the stable ``WitnessRefusal`` codes (docs/errors.md, Witness).
Database work runs in the thread pool, never on the event loop.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from trustcart.api.common import create_app, read_json_object
from trustcart.api.openapi import witness as contract
from trustcart.core.problem import CommonProblem, ProblemError
from trustcart.crypto.keys import jwks
from trustcart.trust.errors import WitnessError
from trustcart.trust.witness import Witness, WitnessRefusal

STATUS = {
    WitnessRefusal.ANCHOR_INVALID: 400,
    WitnessRefusal.ANCHOR_SUBMITTER_UNKNOWN: 401,
    WitnessRefusal.ANCHOR_SIGNATURE_INVALID: 401,
    WitnessRefusal.ANCHOR_ID_CONFLICT: 409,
    WitnessRefusal.ANCHOR_CHAIN_BROKEN: 409,
    WitnessRefusal.WITNESS_BUSY: 503,
}


def create_witness_app(witness: Witness) -> FastAPI:
    """The witness service over ``witness``."""
    app = create_app("trustcart witness (TSD-ATT-OCA anchors)")

    @app.get("/.well-known/jwks.json", **contract.KEYS.route())
    async def keys() -> dict[str, Any]:
        return jwks([witness.public_key])

    @app.post("/anchors", status_code=201, response_model=None, **contract.SUBMIT.route())
    async def submit(request: Request) -> dict[str, Any] | JSONResponse:
        body = contract.SUBMIT.check(await read_json_object(request))
        token = body.get("anchor")
        if not isinstance(token, str) or set(body) != {"anchor"}:
            raise ProblemError(CommonProblem.INVALID_REQUEST, 400, "send exactly {'anchor': jws}")
        try:
            entry = await run_in_threadpool(witness.submit, token)
        except WitnessError as e:
            code = WitnessRefusal(e.code)
            raise ProblemError(code, STATUS.get(code, 400), e.detail) from e
        if not entry.created:  # the submitter retried: the entry as it stands
            return JSONResponse(entry.to_json(), status_code=200)
        return entry.to_json()

    @app.get("/anchors/{anchor_id:path}", response_model=None, **contract.FETCH.route())
    def fetch(anchor_id: str) -> dict[str, Any]:
        entry = witness.fetch(anchor_id)
        if entry is None:
            raise ProblemError(WitnessRefusal.ANCHOR_NOT_FOUND, 404, f"no anchor {anchor_id}")
        return entry.to_json()

    return app
