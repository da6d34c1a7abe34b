"""Signing an outgoing agent request in trustcart's RFC 9421 profile.

``sign_request`` takes the request, the key, the instant and the nonce as arguments and returns
the headers to add (``Content-Digest`` when there is a body, ``Signature-Agent`` when asked,
``Signature-Input`` and ``Signature``); it never reads the clock or draws randomness itself, so
an Ed25519 signature is reproducible byte for byte. The covered components come from
``profile.covered_components``; a body without ``Content-Type`` or a lifetime outside
``(0, MAX_LIFETIME]`` is refused with ``ValidationError`` before anything is signed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from http_message_signatures import HTTPMessageSignaturesException, HTTPMessageSigner

from trustcart.core.errors import ValidationError
from trustcart.crypto.digest import make_content_digest
from trustcart.crypto.httpsig.fields import FieldLines, HttpRequestView
from trustcart.crypto.httpsig.profile import (
    DEFAULT_LABEL,
    DEFAULT_LIFETIME,
    MAX_LIFETIME,
    SIGNATURE_TAG,
    algorithm_for,
    covered_components,
    signature_agent_header,
)
from trustcart.crypto.keys import SigningKey


def sign_request(  # noqa: PLR0917 - the request, key, time and nonce, as the peers name them
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    key: SigningKey,
    now: datetime,
    nonce: str,
    *,
    lifetime: timedelta = DEFAULT_LIFETIME,
    signature_agent: str | None = None,
    signature_agent_type: str | None = None,
    label: str = DEFAULT_LABEL,
    include_alg: bool = False,
) -> dict[str, str]:
    """Sign a request; return the headers to add (Content-Digest, Signature-Agent, Signature*).

    ``url`` is the encoded absolute URL the request goes to; ``headers`` are the headers it will
    carry (``Content-Type`` is required when there is a body).

    >>> from datetime import UTC, datetime
    >>> from trustcart.crypto.httpsig.profile import new_nonce
    >>> key = SigningKey.generate()
    >>> now = datetime(2026, 11, 29, 8, tzinfo=UTC)
    >>> headers = {"Content-Type": "application/json"}
    >>> added = sign_request("POST", "https://m.example/c", headers, b"{}", key, now, new_nonce())
    >>> sorted(added)
    ['Content-Digest', 'Signature', 'Signature-Input']
    """
    if not timedelta(0) < lifetime <= MAX_LIFETIME:
        raise ValidationError(f"signature lifetime must be within (0, {MAX_LIFETIME}]")
    body = bytes(body)
    lines = FieldLines(headers)
    added: dict[str, str] = {}
    if body:
        if "content-type" not in lines:
            raise ValidationError("a request with a body needs a Content-Type header")
        added["Content-Digest"] = make_content_digest(body)
    if signature_agent is not None:
        added["Signature-Agent"] = signature_agent_header(
            signature_agent, label=label, type_=signature_agent_type
        )
    for name, value in added.items():
        lines[name] = value
    message = HttpRequestView(method=method.upper(), url=url, headers=lines)
    signer = HTTPMessageSigner(signature_algorithm=algorithm_for(key.public))
    try:
        prepared = signer.prepare(
            message,
            key_id=key.kid,
            created=now,
            expires=now + lifetime,
            nonce=nonce,
            label=label,
            tag=SIGNATURE_TAG,
            include_alg=include_alg,
            covered_component_ids=covered_components(url, lines, has_body=bool(body), label=label),
            use_existing_digest="content-digest" in lines,
        )
        signer.apply(message, prepared, key.sign(prepared.signature_base))
    except HTTPMessageSignaturesException as e:
        raise ValidationError(f"request cannot be signed: {e}") from e
    combined = lines.combined()
    added["Signature-Input"] = combined["signature-input"]
    added["Signature"] = combined["signature"]
    return added
