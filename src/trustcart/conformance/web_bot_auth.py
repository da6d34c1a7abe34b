"""Web Bot Auth known-answer suite, read at run time from the shared conformance folder.

The folder is ``$TRUSTCART_CONFORMANCE_DIR`` or else ``<repo>/../shared/conformance``; its
``web-bot-auth/packages/web-bot-auth/test/test_data/*.json`` come from cloudflare/web-bot-auth.
If the folder is missing the suite reports that, and fails, rather than passing empty.

* ``architecture_v1/v2``: each signature verifies with the library verifier at the vector's own
  ``created`` time (v1 vectors expired long ago), under the key given as JWK; ``keyid`` must be
  the key's RFC 7638 thumbprint; the parameters must match the vector's fields; the same
  signature is refused one second after it expires (RSA-PSS is randomized: verify-only).
* ``signature_agent``: the header parsed as a Structured Fields Dictionary gives the entries.
* ``registry``: a registry text file gives the list of signature agent card URLs.
* ``signature_agent_card``: each card is judged valid or invalid with the expected reason.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from http_message_signatures.algorithms import ED25519, RSA_PSS_SHA512, HTTPSignatureAlgorithm
from http_sfv.dictionary import Dictionary
from http_sfv.item import Item
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey, RSAKey

from trustcart.conformance import CaseResult, SuiteResult
from trustcart.crypto.httpsig.fields import FieldLines, HttpRequestView
from trustcart.crypto.httpsig.verification import ClockedVerifier

SUITE = "web-bot-auth"
ENV_VAR = "TRUSTCART_CONFORMANCE_DIR"
TEST_DATA = Path("web-bot-auth/packages/web-bot-auth/test/test_data")
DEFAULT_AGENT_TYPE = "directory"


def conformance_dir() -> Path:
    """``$TRUSTCART_CONFORMANCE_DIR``, else ``<repo>/../shared/conformance``."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        return Path(configured)
    repo = Path(__file__).resolve().parents[3]
    return repo.parent / "shared" / "conformance"


# Pure parsers for the Web Bot Auth directory formats ------------------------------------------


def parse_signature_agent(header: str) -> list[dict[str, str]]:
    """``Signature-Agent`` entries: ``[{"label", "uri", "type"}]`` (type defaults to directory)."""
    field = Dictionary()
    field.parse(header.encode("ascii"))
    entries = []
    for label, member in field.items():
        if not isinstance(member, Item) or not isinstance(member.value, str):
            raise ValueError(f"Signature-Agent member {label!r} is not a string")
        kind = member.params.get("type", DEFAULT_AGENT_TYPE)
        entries.append({"label": str(label), "uri": str(member.value), "type": str(kind)})
    return entries


def parse_registry(text: str) -> list[str]:
    """Card URLs of a registry file: one per line; ``#`` starts a comment; blank lines skipped."""
    urls = []
    for line in text.splitlines():
        url = line.split("#", 1)[0].strip()
        if url:
            urls.append(url)
    return urls


def validate_signature_agent_card(card: Any, url: str) -> str | None:
    """None if ``card`` (fetched from ``url``) is a valid signature agent card, else the reason."""
    if not isinstance(card, dict):
        return "card must be a JSON object"
    if card.get("client_id") != url:
        return "client_id must match the card URL"
    has_jwks, has_uri = "jwks" in card, "jwks_uri" in card
    if has_jwks and has_uri:
        return "card must not contain both jwks and jwks_uri"
    if not (has_jwks or has_uri):
        return "card must contain jwks or jwks_uri"
    if has_uri and not (
        isinstance(card["jwks_uri"], str) and card["jwks_uri"].startswith("https://")
    ):
        return "jwks_uri must be an https URL"
    if has_jwks:
        keys = card["jwks"].get("keys") if isinstance(card["jwks"], dict) else None
        if not isinstance(keys, list) or not all(isinstance(key, dict) for key in keys):
            return "jwks must be a JWK Set"
    if "web_bot_auth" in card and not isinstance(card["web_bot_auth"], dict):
        return "web_bot_auth must be an object"
    return None


# Cases -----------------------------------------------------------------------------------------


def _public_key(jwk: dict[str, Any]) -> tuple[Any, str, type[HTTPSignatureAlgorithm]]:
    """(cryptography public key, RFC 7638 thumbprint, algorithm) of a vector key."""
    try:
        if jwk.get("kty") == "OKP":
            okp = OKPKey.import_key(dict(jwk))
            return okp.public_key, okp.thumbprint(), ED25519
        if jwk.get("kty") == "RSA":
            rsa = RSAKey.import_key(dict(jwk))
            return rsa.public_key, rsa.thumbprint(), RSA_PSS_SHA512
    except (JoseError, ValueError, TypeError) as e:
        raise ValueError(f"bad vector key: {e}") from e
    raise ValueError(f"unsupported key type {jwk.get('kty')}")


def _verify_at(vector: dict[str, Any], now: datetime) -> None:
    public, thumbprint, algorithm = _public_key(vector["key"])
    lines = [("Signature-Input", vector["signature_input"]), ("Signature", vector["signature"])]
    if "signature_agent" in vector:
        lines.append(("Signature-Agent", vector["signature_agent"]))
    message = HttpRequestView(method="GET", url=vector["target_url"], headers=FieldLines(lines))
    verifier = ClockedVerifier(
        signature_algorithm=algorithm,
        key=public,
        keyid=thumbprint,
        now=now,
        clock_skew=timedelta(0),
    )
    verifier.verify(message, max_age=None, expect_tag="web-bot-auth", expect_label=vector["label"])


def check_signature_vector(vector: dict[str, Any]) -> str:
    """Verify one architecture vector; return what was checked or raise with the reason."""
    field = Dictionary()
    field.parse(vector["signature_input"].encode("ascii"))
    params = field[vector["label"]].params
    _, thumbprint, algorithm = _public_key(vector["key"])
    expected = {
        "keyid": thumbprint,
        "created": vector["created_ms"] // 1000,
        "expires": vector["expires_ms"] // 1000,
        "nonce": vector["nonce"],
        "tag": "web-bot-auth",
        "alg": algorithm.algorithm_id,
    }
    for name, value in expected.items():
        if params.get(name) != value:
            raise ValueError(f"{name} is {params.get(name)!r}, expected {value!r}")
    created = datetime.fromtimestamp(expected["created"], tz=UTC)
    expires = datetime.fromtimestamp(expected["expires"], tz=UTC)
    _verify_at(vector, created)
    try:
        _verify_at(vector, expires + timedelta(seconds=1))
    except Exception:
        return "verified at created; keyid is the thumbprint; refused after expiry"
    raise ValueError("signature still verified after it expired")


def _run(case_id: str, check: Callable[[], str]) -> CaseResult:
    try:
        return CaseResult(case_id, True, check())
    except Exception as e:
        return CaseResult(case_id, False, f"{type(e).__name__}: {e}")


def _expect_equal(actual: Any, expected: Any) -> str:
    if actual != expected:
        raise ValueError(f"got {actual!r}, expected {expected!r}")
    return "equal"


def _card_check(vector: dict[str, Any]) -> str:
    reason = validate_signature_agent_card(vector["card"], vector["url"])
    if vector["valid"]:
        if reason is not None:
            raise ValueError(f"valid card refused: {reason}")
        return "valid"
    if reason is None:
        raise ValueError("invalid card accepted")
    if "error" in vector and reason != vector["error"]:
        raise ValueError(f"refused for {reason!r}, expected {vector['error']!r}")
    return f"refused: {reason}"


def _agent_header_check(vector: dict[str, Any]) -> str:
    return _expect_equal(parse_signature_agent(vector["header"]), vector["entries"])


def _registry_check(vector: dict[str, Any]) -> str:
    return _expect_equal(parse_registry(vector["registry_txt"]), vector["signature_agent_cards"])


# Longest prefix first: "signature_agent_card" must not be taken for "signature_agent".
_CHECKERS: tuple[tuple[str, Callable[[dict[str, Any]], str]], ...] = (
    ("architecture", check_signature_vector),
    ("signature_agent_card", _card_check),
    ("signature_agent", _agent_header_check),
    ("registry", _registry_check),
)


def _checker_for(stem: str) -> Callable[[dict[str, Any]], str] | None:
    return next((check for prefix, check in _CHECKERS if stem.startswith(prefix)), None)


def run(directory: Path | None = None) -> SuiteResult:
    data = (directory or conformance_dir()) / TEST_DATA
    if not data.is_dir():
        return SuiteResult(SUITE, error=f"Web Bot Auth vectors not found at {data} (set {ENV_VAR})")
    files = sorted(data.glob("*.json"))
    if not files:
        return SuiteResult(SUITE, error=f"no vector files in {data}")
    cases: list[CaseResult] = []
    for path in files:
        try:
            vectors = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            cases.append(CaseResult(path.name, False, f"unreadable: {e}"))
            continue
        stem = path.stem.removeprefix("web_bot_auth_")
        for index, vector in enumerate(vectors):
            case_id = f"{stem}[{index}] {vector.get('name') or vector.get('label', '')}".strip()
            checker = _checker_for(stem)
            if checker is None:
                cases.append(CaseResult(case_id, False, f"no checker for {path.name}"))
            else:
                cases.append(_run(case_id, partial(checker, vector)))
    return SuiteResult(SUITE, tuple(cases))
