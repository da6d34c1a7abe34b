"""Sign every UCP response with the business's ES256 key (RFC 9421, UCP's response profile).

An ASGI middleware: it holds the response until its body is complete, then adds
``Content-Digest`` (RFC 9530, over the exact bytes sent), ``Signature-Input``
(``sig1=("@status" "content-digest" "content-type");created=...;keyid="<kid>"``) and
``Signature``. The ``kid`` is the key's ``kid`` in ``/.well-known/ucp`` ``signing_keys``, so a
platform verifies with the published key (``crypto.httpsig.ucp.verify_response``). UCP makes
response signatures RECOMMENDED for completion and OPTIONAL elsewhere; signing all of them
(errors too) costs one ECDSA signature and gives the platform one rule. Bodies here are small
JSON (at most a few tens of KiB), so holding them is cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trustcart.crypto.httpsig.ucp import sign_response
from trustcart.crypto.keys import SigningKey


class SignResponses:
    """ASGI middleware: sign each HTTP response of ``app`` with ``key`` as ``keyid``."""

    def __init__(
        self, app: ASGIApp, key: SigningKey, keyid: str, now: Callable[[], datetime]
    ) -> None:
        self._app, self._key, self._keyid, self._now = app, key, keyid, now

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def hold(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            headers = [
                (k.decode("latin-1"), v.decode("latin-1")) for k, v in start.get("headers", [])
            ]
            added = sign_response(
                int(start["status"]),
                dict(headers) if body else {},
                body,
                self._key,
                self._keyid,
                self._now(),
            )
            raw = list(start.get("headers", []))
            raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in added.items()]
            await send({**start, "headers": raw})
            await send({"type": "http.response.body", "body": body})

        await self._app(scope, receive, hold)
