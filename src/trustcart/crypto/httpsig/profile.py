"""trustcart's RFC 9421 profile as data and small rules, shared by signing and verification.

The signer and the verifier must agree on one list of covered components; both derive it here
from the request (URL, header names, whether there is a body): ``covered_components`` is the
signer's ordered list, ``required_components`` the verifier's check that allows the same
components with the parameters a peer may legitimately add. Nonces are 64 random bytes in
base64url (UCP WBA interop item 6); the algorithm follows from the key, never from the message.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable, Mapping
from datetime import timedelta

from http_message_signatures.algorithms import ECDSA_P256_SHA256, ED25519, HTTPSignatureAlgorithm
from http_sfv.dictionary import Dictionary
from http_sfv.item import Item
from http_sfv.types import Token

from trustcart.crypto.httpsig.fields import FieldLines
from trustcart.crypto.keys import PublicKey

SIGNATURE_TAG = "web-bot-auth"
DEFAULT_LABEL = "sig1"
DEFAULT_LIFETIME = timedelta(seconds=60)
MAX_LIFETIME = timedelta(seconds=300)
CLOCK_SKEW = timedelta(seconds=10)
NONCE_BYTES = 64
MIN_NONCE_LENGTH = 16
MAX_NONCE_LENGTH = 512

# Headers covered whenever they are sent: UCP's, and its webhooks' event id and time.
NAMED_HEADERS = ("ucp-agent", "idempotency-key", "webhook-id", "webhook-timestamp")

_ALGORITHMS: dict[str, type[HTTPSignatureAlgorithm]] = {
    "EdDSA": ED25519,
    "ES256": ECDSA_P256_SHA256,
}


def new_nonce(random_bytes: Callable[[int], bytes] = secrets.token_bytes) -> str:
    """A fresh nonce: 64 random bytes, base64url without padding (UCP WBA interop item 6)."""
    return base64.urlsafe_b64encode(random_bytes(NONCE_BYTES)).decode("ascii").rstrip("=")


def algorithm_for(key: PublicKey) -> type[HTTPSignatureAlgorithm]:
    """The RFC 9421 algorithm a trustcart key signs with (``ed25519`` or ``ecdsa-p256-sha256``)."""
    return _ALGORITHMS[key.alg]


def has_query(url: str) -> bool:
    """Whether the URL carries a query, so that ``@query`` must be covered.

    >>> has_query("https://m.example/c?q=tea#top"), has_query("https://m.example/c#a?b")
    (True, False)
    """
    return "?" in url.split("#", 1)[0]


def _component(name: str, **params: str) -> str:
    item = Item(name)
    item.params.update(params)
    return str(item)


def signature_agent_header(
    uri: str, *, label: str = DEFAULT_LABEL, type_: str | None = None
) -> str:
    """``Signature-Agent: sig1="https://agent.example/..."`` (a Structured Fields Dictionary)."""
    field = Dictionary()
    field[label] = Item(uri)
    if type_ is not None:
        field[label].params["type"] = Token(type_)
    return str(field)


def covered_components(
    url: str, headers: FieldLines, *, has_body: bool, label: str = DEFAULT_LABEL
) -> list[str]:
    """The components trustcart signs for this request, in profile order (see package doc)."""
    components = [_component("@method"), _component("@authority"), _component("@path")]
    if has_query(url):
        components.append(_component("@query"))
    if "signature-agent" in headers:
        components.append(_component("signature-agent", key=label))
    for name in NAMED_HEADERS:
        if name in headers:
            components.append(_component(name))
    if has_body:
        components += [_component("content-digest"), _component("content-type")]
    return components


def required_components(
    url: str, fields: Mapping[str, str], *, has_body: bool
) -> list[tuple[str, frozenset[str]]]:
    """Names that must be covered, with the parameter sets each may carry.

    >>> required_components("https://m.example/c", {}, has_body=False)[0]
    ('@method', frozenset({''}))
    """
    plain = frozenset({""})
    required = [("@method", plain), ("@authority", plain), ("@path", plain)]
    if has_query(url):
        required.append(("@query", plain))
    if has_body:
        required += [("content-digest", plain), ("content-type", plain)]
    for name in NAMED_HEADERS:
        if name in fields:
            required.append((name, plain))
    if "signature-agent" in fields:
        required.append(("signature-agent", frozenset({"", "key"})))
    return required
