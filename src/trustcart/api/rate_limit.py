"""Per-client rate limiting for a service's public endpoints (ASGI middleware, a thin shell).

Every HTTP request takes a token from its client's bucket (``trustcart.core.rate_limit``) before
the app sees it; with none left the answer is ``429`` problem+json ``rate-limited`` with a
``Retry-After`` header, and the request costs the service nothing more. The client is the
socket peer's address (behind a reverse proxy, run uvicorn with ``--forwarded-allow-ips`` so
that it is the real client). Reads and writes (``GET``/``HEAD`` versus the rest) have separate
buckets, so a client flooding reads does not lock itself out of writing, and neither touches
another client's budget.

``TRUSTCART_TRUST_RATE_LIMIT`` (``RATE/BURST`` a client, or ``off``) configures the trust
service; ``DEFAULT_RATE_LIMIT`` applies otherwise.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping

from starlette.types import ASGIApp, Receive, Scope, Send

from trustcart.api.common import problem_response
from trustcart.core.problem import CommonProblem, Problem
from trustcart.core.rate_limit import RateLimit, RateLimiter

DEFAULT_RATE_LIMIT = RateLimit(rate=100.0, burst=200)
RATE_LIMIT_ENV = "TRUSTCART_TRUST_RATE_LIMIT"
_READS = frozenset({"GET", "HEAD", "OPTIONS"})


def rate_limit_from_env(environ: Mapping[str, str] = os.environ) -> RateLimit | None:
    """The configured limit (None: off), or ``DEFAULT_RATE_LIMIT`` when nothing is set."""
    text = environ.get(RATE_LIMIT_ENV)
    return DEFAULT_RATE_LIMIT if text is None else RateLimit.parse(text)


class RateLimitMiddleware:
    """Refuse a client's request with 429 once its bucket is empty."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        limiter: RateLimiter,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.monotonic = monotonic

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        address = client[0] if client else "unknown"
        kind = "read" if scope.get("method", "GET") in _READS else "write"
        decision = self.limiter.take((address, kind), self.monotonic())
        if decision.allowed:
            await self.app(scope, receive, send)
            return
        response = problem_response(
            Problem(
                CommonProblem.RATE_LIMITED,
                429,
                "Too many requests",
                f"at most {self.limiter.limit.rate:g} requests a second "
                f"(bursts of {self.limiter.limit.burst}) per client",
            ),
            headers={"Retry-After": decision.retry_after_header},
        )
        await response(scope, receive, send)
