"""HTTP shell of the status service (ADD-IAC-LCM).

    POST /delegations                        {"iac": "<jws>", "proof": "<act-iac-registration+jwt>"}
                                             -> 201 (the delegator's key, in the key directory,
                                             signed both; the proof is fresh and single use)
    GET  /delegations/{id}/status            {"status": "<act-iac-status+jwt>"}
    POST /delegations/{id}/transitions       {"request": "<act-iac-transition+jwt>"}
    GET  /.well-known/jwks.json              the status-signing key

Database work runs in the thread pool, never on the event loop. Registrations and transition
requests authenticate themselves (JWS by the delegator or the agent, checked against the key
directory), so these routes need no RFC 9421 signature; a second registration of the same
delegation_id is refused (409), a replayed one (401).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool

from trustcart.api.common import create_app, read_json_object
from trustcart.api.openapi import delegation as contract
from trustcart.core.problem import CommonProblem, ProblemError
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.jws import peek_payload
from trustcart.crypto.keys import jwks
from trustcart.delegation.service import DelegationService


def _string(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise ProblemError(CommonProblem.INVALID_REQUEST, 400, f"'{name}' must be a string")
    return value


def create_delegation_app(service: DelegationService) -> FastAPI:
    app = create_app("trustcart status service (ADD-IAC-LCM)")

    @app.get("/.well-known/jwks.json", **contract.KEYS.route())
    async def keys() -> dict[str, Any]:
        return jwks([service.status_public_key])

    @app.post("/delegations", status_code=201, **contract.REGISTER.route())
    async def register(request: Request) -> dict[str, Any]:
        # The published schema is closed: a key sent along (the old ``delegator_jwk``) would
        # prove nothing (the key directory says which keys are the delegator's), so it is
        # refused rather than ignored.
        body = contract.REGISTER.check(await read_json_object(request))
        iac_token, proof = _string(body, "iac"), _string(body, "proof")
        iac = await run_in_threadpool(service.register, iac_token, proof)
        return {"delegation_id": iac.delegation_id, "status": "Active"}

    @app.get("/delegations/{delegation_id}/status", **contract.STATUS.route())
    def status(delegation_id: str) -> dict[str, str]:  # sync: FastAPI runs it in a thread
        return {"status": service.status(delegation_id).token}

    @app.post("/delegations/{delegation_id}/transitions", **contract.TRANSITION.route())
    async def transition(delegation_id: str, request: Request) -> dict[str, str]:
        body = contract.TRANSITION.check(await read_json_object(request))
        token = _string(body, "request")
        try:
            named = peek_payload(token).get("delegation_id")
        except InvalidSignature as e:
            raise ProblemError(CommonProblem.INVALID_REQUEST, 400, "request is not a JWS") from e
        if named != delegation_id:
            # Checked before anything is applied: the URL and the signed request must agree.
            raise ProblemError(CommonProblem.INVALID_REQUEST, 400, "delegation_id mismatch")
        result = await run_in_threadpool(service.apply, token)
        return {
            "delegation_id": result.delegation_id,
            "from": result.from_status.value,
            "to": result.to_status.value,
        }

    return app
