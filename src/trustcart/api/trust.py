"""HTTP shell of the trust service: the transparency log.

    POST /records              {"record": "<act-attestation+jwt>"} -> 201 {leaf_index, record_id}
                               (200 with the same fields and "duplicate": true for a record
                               the log already holds; 409 for another record under its id)
    GET  /tree-head                  {"tree_head": "<act-sth+jwt>"}
    GET  /proofs/inclusion           ?leaf_index=&tree_size= -> {"proof": [b64url, ...]}
    GET  /proofs/consistency         ?old_size=&new_size=    -> {"proof": [b64url, ...]}
    GET  /events                     ?intent_id=&delegation_id=&out_trade_no= -> {"events": [...]}
    GET  /.well-known/jwks.json      the log key

Database work runs in the thread pool (sync handlers, or ``run_in_threadpool``), never on the
event loop. Records authenticate themselves: each is signed by its initiator, whose key must be
in the key directory (known, not revoked, in its validity window), and must then pass the log's
admission rule (``trust.admission``: the initiator's role and party, the chain ids, a bounded
clock skew), refused with a stable ``record-*`` code otherwise. A refused record leaves the log
untouched.

Reads are cheap and write nothing: ``GET /tree-head`` returns the newest head (signed when the
last record was appended) from a read-only transaction. Every endpoint is rate-limited per
client address (``api.rate_limit``): 429 ``rate-limited`` with ``Retry-After``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from trustcart.api.common import create_app, read_json_object
from trustcart.api.openapi import trust as contract
from trustcart.api.rate_limit import RateLimitMiddleware, rate_limit_from_env
from trustcart.core.clock import Clock
from trustcart.core.problem import CommonProblem, ProblemError
from trustcart.core.rate_limit import RateLimit, RateLimiter
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.jcs import b64url
from trustcart.crypto.keys import PublicKey, jwks
from trustcart.trust.admission import RecordRefusal
from trustcart.trust.attestations import AttestationService
from trustcart.trust.directory import KeyDirectory, usable_key
from trustcart.trust.errors import DuplicateRecord, LogError, RecordRefused, TrustError

REFUSAL_STATUS = {
    RecordRefusal.ROLE_NOT_ALLOWED: 403,
    RecordRefusal.PARTY_MISMATCH: 403,
    RecordRefusal.CHAIN_IDS: 422,
    RecordRefusal.TIME_SKEW: 422,
    RecordRefusal.CHAIN_UNKNOWN: 409,
    RecordRefusal.CHAIN_MISMATCH: 409,
}


def create_trust_app(
    attestations: AttestationService,
    directory: KeyDirectory,
    clock: Clock,
    *,
    rate_limit: RateLimit | Literal["off"] | None = None,
    monotonic: Callable[[], float] = time.monotonic,
) -> FastAPI:
    """The trust service over ``attestations``, which must carry an admission rule.

    ``rate_limit``: a per-client limit, ``"off"``, or None for ``TRUSTCART_TRUST_RATE_LIMIT``
    (default ``api.rate_limit.DEFAULT_RATE_LIMIT``).
    """
    if attestations.admission is None:
        raise LogError("the trust service needs an AttestationService with an admission rule")
    app = create_app("trustcart trust service (TSD-ATT)")
    limit = rate_limit_from_env() if rate_limit is None else rate_limit
    if isinstance(limit, RateLimit):
        app.add_middleware(RateLimitMiddleware, limiter=RateLimiter(limit), monotonic=monotonic)
    log = attestations.log

    def resolve(kid: str) -> PublicKey | None:
        entry = usable_key(directory, kid, clock.now())
        return entry.public_key if entry is not None else None

    @app.get("/.well-known/jwks.json", **contract.KEYS.route())
    async def keys() -> dict[str, Any]:
        return jwks([log.public_key])

    @app.post("/records", status_code=201, response_model=None, **contract.APPEND.route())
    async def anchor(request: Request) -> dict[str, Any] | JSONResponse:
        body = contract.APPEND.check(await read_json_object(request))
        token = body.get("record")
        if not isinstance(token, str):
            raise ProblemError(CommonProblem.INVALID_REQUEST, 400, "'record' must be a JWS")
        try:
            recorded = await run_in_threadpool(attestations.anchor, token, resolve)
        except DuplicateRecord as e:
            raise ProblemError(CommonProblem.IDEMPOTENCY_CONFLICT, 409, str(e)) from e
        except RecordRefused as e:
            code = RecordRefusal(e.code)
            raise ProblemError(code, REFUSAL_STATUS[code], e.detail) from e
        except (InvalidSignature, TrustError) as e:
            raise ProblemError(
                CommonProblem.SIGNATURE_INVALID,
                401,
                "the record does not verify against a registered key",
            ) from e
        answer = {"leaf_index": recorded.leaf_index, "record_id": recorded.record_id}
        if recorded.duplicate:  # the sender retried: the entry as it stands, nothing new
            return JSONResponse({**answer, "duplicate": True}, status_code=200)
        return answer

    @app.get("/tree-head", **contract.TREE_HEAD.route())
    def tree_head() -> dict[str, str]:
        return {"tree_head": log.tree_head()}

    @app.get("/proofs/inclusion", **contract.INCLUSION.route())
    def inclusion(leaf_index: int, tree_size: int) -> dict[str, list[str]]:
        try:
            proof = log.inclusion_proof(leaf_index, tree_size)
        except (TrustError, ValueError) as e:
            raise ProblemError(CommonProblem.INVALID_REQUEST, 400, str(e)) from e
        return {"proof": [b64url(node) for node in proof]}

    @app.get("/proofs/consistency", **contract.CONSISTENCY.route())
    def consistency(old_size: int, new_size: int) -> dict[str, list[str]]:
        try:
            proof = log.consistency_proof(old_size, new_size)
        except (TrustError, ValueError) as e:
            raise ProblemError(CommonProblem.INVALID_REQUEST, 400, str(e)) from e
        return {"proof": [b64url(node) for node in proof]}

    @app.get("/events", **contract.EVENTS.route())
    def events(
        intent_id: str | None = None,
        delegation_id: str | None = None,
        out_trade_no: str | None = None,
    ) -> dict[str, Any]:
        try:
            found = attestations.events_for(
                intent_id=intent_id, delegation_id=delegation_id, out_trade_no=out_trade_no
            )
        except TrustError as e:
            raise ProblemError(CommonProblem.INVALID_REQUEST, 400, str(e)) from e
        return {
            "events": [
                {
                    "record": e.record_jws,
                    "leaf_index": e.leaf_index,
                    "event_type": e.event_type.value,
                }
                for e in found
            ]
        }

    return app
