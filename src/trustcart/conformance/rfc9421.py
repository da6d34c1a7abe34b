"""RFC 9421 known-answer suite (and the RFC 9530 digest examples).

For every case in ``vectors/rfc9421.json`` (the RFC's own keys, messages and signatures; the
file names its sources):

1. the signature verifies with the library verifier trustcart uses, at the case's ``created``
   time, over the base rebuilt from the message and the case's ``Signature-Input``;
2. that rebuilt base equals the base printed in the RFC, byte for byte (where the RFC prints one);
3. deterministic algorithms (ed25519, hmac-sha256, rsa-v1_5-sha256) are signed again with the
   private key and must give the RFC's signature byte for byte; randomized ones
   (rsa-pss-sha512, ecdsa-p256-sha256) are verify-only;
4. the same signature with one bit flipped must be refused (the check can fail).

Digest cases check ``trustcart.crypto.digest`` against the RFC 9530 / 9421 examples.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key
from http_message_signatures.algorithms import (
    ECDSA_P256_SHA256,
    ED25519,
    HMAC_SHA256,
    RSA_PSS_SHA512,
    RSA_V1_5_SHA256,
    HTTPSignatureAlgorithm,
)
from http_sfv.dictionary import Dictionary
from http_sfv.item import Item

from trustcart.conformance import CaseResult, SuiteResult
from trustcart.crypto.digest import make_content_digest, verify_content_digest
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.httpsig.fields import FieldLines, HttpRequestView
from trustcart.crypto.httpsig.verification import ClockedVerifier

SUITE = "rfc9421"
ALGORITHMS: dict[str, type[HTTPSignatureAlgorithm]] = {
    cls.algorithm_id: cls
    for cls in (RSA_PSS_SHA512, RSA_V1_5_SHA256, HMAC_SHA256, ECDSA_P256_SHA256, ED25519)
}
DETERMINISTIC = {"ed25519", "hmac-sha256", "rsa-v1_5-sha256"}


@dataclass
class HttpResponseView:
    status_code: int
    headers: FieldLines
    request: HttpRequestView | None


def load_vectors() -> dict[str, Any]:
    text = resources.files("trustcart.conformance").joinpath("vectors/rfc9421.json").read_text()
    data: dict[str, Any] = json.loads(text)
    return data


def _keys(spec: dict[str, Any]) -> tuple[Any, Any]:
    """(verification key, signing key or None) for a vector key entry."""
    if spec["kind"] == "hmac":
        secret = base64.b64decode(spec["secret_base64"])
        return secret, secret
    public = load_pem_public_key(spec["public_pem"].encode())
    private = None
    if "private_pem" in spec:
        private = load_pem_private_key(spec["private_pem"].encode(), password=None)
    return public, private


def _message(messages: dict[str, Any], name: str, extra: list[tuple[str, str]]) -> Any:
    spec = messages[name]
    lines = [(str(k), str(v)) for k, v in spec["headers"]] + extra
    if "status" in spec:
        request = _message(messages, spec["request"], []) if spec.get("request") else None
        return HttpResponseView(
            status_code=int(spec["status"]), headers=FieldLines(lines), request=request
        )
    return HttpRequestView(method=spec["method"], url=spec["url"], headers=FieldLines(lines))


def _signature_bytes(signature_field: str, label: str) -> bytes:
    field = Dictionary()
    field.parse(signature_field.encode("ascii"))
    value = field[label].value
    if not isinstance(value, bytes):
        raise ValueError("signature member is not a byte sequence")
    return value


def _label_and_created(signature_input: str) -> tuple[str, int]:
    field = Dictionary()
    field.parse(signature_input.encode("ascii"))
    ((label, member),) = field.items()
    return str(label), int(member.params["created"])


def _verify(case: dict[str, Any], vectors: dict[str, Any], signature_field: str) -> str:
    _, created = _label_and_created(case["signature_input"])
    public, _ = _keys(vectors["keys"][case["key"]])
    message = _message(
        vectors["messages"],
        case["message"],
        [
            ("Signature-Input", case["signature_input"]),
            ("Signature", signature_field),
        ],
    )
    verifier = ClockedVerifier(
        signature_algorithm=ALGORITHMS[case["algorithm"]],
        key=public,
        keyid=case["key"],
        now=datetime.fromtimestamp(created, tz=UTC),
        clock_skew=timedelta(0),
    )
    (result,) = verifier.verify(message, max_age=None)
    return "\n".join(f"{name}: {value}" for name, value in result.covered_components.items())


def _flip_one_bit(signature_field: str, label: str) -> str:
    raw = bytearray(_signature_bytes(signature_field, label))
    raw[len(raw) // 2] ^= 0x01
    field = Dictionary()
    field[label] = Item(bytes(raw))
    return str(field)


def run_case(case: dict[str, Any], vectors: dict[str, Any]) -> CaseResult:
    case_id = f"{case['id']} {case['algorithm']}"
    try:
        label, _ = _label_and_created(case["signature_input"])
        base = _verify(case, vectors, case["signature"])
        checks = ["verified"]
        expected_base = case.get("signature_base")
        if expected_base is not None:
            if base != expected_base:
                return CaseResult(case_id, False, "signature base differs from the RFC")
            checks.append("base equal")
        if case["algorithm"] in DETERMINISTIC:
            _, private = _keys(vectors["keys"][case["key"]])
            signer = ALGORITHMS[case["algorithm"]](private_key=private)
            if signer.sign(base.encode()) != _signature_bytes(case["signature"], label):
                return CaseResult(case_id, False, "re-signing did not reproduce the signature")
            checks.append("re-signed byte-exact")
        try:
            _verify(case, vectors, _flip_one_bit(case["signature"], label))
        except Exception:
            checks.append("tampered refused")
        else:
            return CaseResult(case_id, False, "a tampered signature verified")
        return CaseResult(case_id, True, ", ".join(checks))
    except Exception as e:
        return CaseResult(case_id, False, f"{type(e).__name__}: {e}")


def run_digest_case(case: dict[str, Any]) -> CaseResult:
    body = case["body"].encode()
    try:
        verify_content_digest(case["field"], body)
        algorithm = case["field"].split("=", 1)[0]
        if make_content_digest(body, algorithm) != case["field"]:
            return CaseResult(case["id"], False, "made a different Content-Digest")
        try:
            verify_content_digest(case["field"], body + b" ")
        except InvalidSignature:
            return CaseResult(case["id"], True, "made and verified; altered body refused")
        return CaseResult(case["id"], False, "an altered body verified")
    except Exception as e:
        return CaseResult(case["id"], False, f"{type(e).__name__}: {e}")


def run() -> SuiteResult:
    try:
        vectors = load_vectors()
    except (OSError, ValueError) as e:
        return SuiteResult(SUITE, error=f"cannot read vectors/rfc9421.json: {e}")
    cases = [run_case(case, vectors) for case in vectors["cases"]]
    cases += [run_digest_case(case) for case in vectors.get("digests", [])]
    return SuiteResult(SUITE, tuple(cases))
