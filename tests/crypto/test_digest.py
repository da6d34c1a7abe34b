"""RFC 9530 Content-Digest: known answers, and every way a digest can be wrong."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trustcart.crypto.digest import (
    DigestMismatch,
    make_content_digest,
    parse_content_digest,
    verify_content_digest,
)
from trustcart.crypto.errors import InvalidSignature

BODY = b'{"hello": "world"}'
# RFC 9530 section 2 / RFC 9421 Appendix B.2 values for BODY.
SHA256_FIELD = "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
SHA512_FIELD = (
    "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+"
    "TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"
)


def test_make_matches_rfc_9530() -> None:
    assert make_content_digest(BODY) == SHA256_FIELD
    assert make_content_digest(BODY, "sha-512") == SHA512_FIELD


def test_sha256_and_sha512_are_accepted() -> None:
    verify_content_digest(SHA256_FIELD, BODY)
    verify_content_digest(SHA512_FIELD, BODY)
    verify_content_digest(f"{SHA256_FIELD}, {SHA512_FIELD}", BODY)


def test_digest_mismatch_is_an_invalid_signature() -> None:
    assert issubclass(DigestMismatch, InvalidSignature)


@pytest.mark.parametrize(
    "field",
    [
        None,
        "",
        "   ",
        "sha-256",  # not a byte sequence
        'sha-256="X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="',  # a string, not bytes
        "sha-256=:AAAA:",  # wrong length
        "md5=:" + base64.b64encode(hashlib.md5(BODY).digest()).decode() + ":",
        "unixsum=:AAAA:",
        "sha-256=:not base64!:",
        "(a b)",
        "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, md5=:AAAA:",  # hidden member
    ],
)
def test_malformed_or_refused_fields(field: str | None) -> None:
    with pytest.raises(DigestMismatch):
        verify_content_digest(field, BODY)


def test_one_wrong_member_fails_the_whole_field() -> None:
    wrong_512 = make_content_digest(b"other", "sha-512")
    with pytest.raises(DigestMismatch):
        verify_content_digest(f"{SHA256_FIELD}, {wrong_512}", BODY)


def test_tampered_body_is_refused() -> None:
    with pytest.raises(DigestMismatch):
        verify_content_digest(SHA256_FIELD, BODY.replace(b"world", b"w0rld"))


def test_parse_returns_raw_digests() -> None:
    assert parse_content_digest(SHA256_FIELD) == {"sha-256": hashlib.sha256(BODY).digest()}


def test_unknown_algorithm_cannot_be_made() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        make_content_digest(BODY, "md5")


@given(st.binary(max_size=512), st.binary(min_size=1, max_size=8))
def test_roundtrip_and_any_change_is_caught(body: bytes, extra: bytes) -> None:
    for algorithm in ("sha-256", "sha-512"):
        field = make_content_digest(body, algorithm)
        verify_content_digest(field, body)
        with pytest.raises(DigestMismatch):
            verify_content_digest(field, body + extra)
