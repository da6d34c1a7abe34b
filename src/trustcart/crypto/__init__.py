"""Cryptography for trustcart (ACT's external security layer, ASL).

    keys     Ed25519 / ES256 keys as JWK, RFC 7638 thumbprints, JWKS
    jcs      RFC 8785 canonical JSON and SHA-256 digests over it
    jws      JWS compact sign / verify (EdDSA default, ES256 accepted)
    digest   RFC 9530 Content-Digest
    httpsig  RFC 9421 HTTP message signatures (Web Bot Auth shape, UCP's covered components):
             profile, fields, signing, verification
    nonces   replay caches for signature nonces (in memory, and SQL across processes)

Signature checks are opaque: they raise ``InvalidSignature`` and nothing more specific.
"""
