"""RFC 9421 HTTP message signatures for agent requests, in the Web Bot Auth shape.

The signature base, component resolution and algorithms come from the ``http-message-signatures``
library (prepare / apply to sign, ``HTTPMessageVerifier`` to verify); this package is the
*profile*: what must be covered, which parameters are required, and how time, keys and replays
are judged. Time, keys and nonces are passed in, so signing is deterministic for Ed25519.

    profile       the profile's constants and rules: covered components, nonces, algorithms
    fields        header field lines and the request view the library reads and writes
    signing       ``sign_request``: the headers to add to an outgoing request
    verification  ``verify_request``, its exception tree and the clocked library verifier

Profile (UCP 2026 "REST Request Signing" with its WBA interop rules, and Web Bot Auth):

* label ``sig1``; parameters ``created``, ``expires``, ``keyid`` (the key's RFC 7638 JWK
  thumbprint), ``nonce`` (64 random bytes, base64url) and ``tag="web-bot-auth"``. ``alg`` is not
  sent (UCP derives the algorithm from the key); when a peer sends it, it must name the key's
  algorithm: ``ed25519`` for Ed25519 (default) or ``ecdsa-p256-sha256`` for P-256 (ES256);
* covered, in this order: ``"@method" "@authority" "@path"``, ``"@query"`` when the URL has a
  query, ``"signature-agent";key="sig1"`` when ``Signature-Agent`` is sent,
  ``"ucp-agent"``, ``"idempotency-key"``, ``"webhook-id"`` and ``"webhook-timestamp"``
  when those headers are sent (the last two: UCP order webhooks), and
  ``"content-digest" "content-type"`` when there is a body;
* ``Content-Digest`` (RFC 9530, sha-256) over the raw body bytes.

Import from the submodule that defines a name; this package re-exports nothing.
"""
