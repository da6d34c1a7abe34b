"""Evidence bundles (``trustcart-evidence/1``): build one for a purchase, verify one offline.

A bundle carries everything a third party needs to decide whether a payment was authorized,
with no network access (ACT TSD-ATT-SVF, run on a file)::

    {"format": "trustcart-evidence/1", "kind": "purchase", "created_at": "...Z",
     "keys": {"jwks": {"keys": [...]},
              "roles": {"<kid>": {"role": "delegator", "id": "user:alice"}}},
     "isr": {...}, "iac": "<jws>", "status": "<jws>", "cart": "<jws>", "approval": "<jws>" | null,
     "receipt": "<jws>",
     "events": [{"record": "<jws>", "leaf_index": 0, "inclusion_proof": ["<b64url>", ...]}],
     "tree_head": "<jws>"}

``verify_bundle`` runs every check in ``BundleChecks.CHECK_ORDER`` and returns a report; it
never raises for a bad bundle. Each check fails closed: a missing field, an unexpected type,
an unparseable value or an unexpected exception is a failed check, and a check whose inputs
did not verify fails as "depends on ...". The bundle passes only if every check passes.

Without ``trusted_keys`` the keys are the bundle's own, so the verdict is "these parties, with
these keys, agreed on this purchase"; with a trusted set (a JWKS the verifier got elsewhere)
every signing key must also be in it.

>>> report = verify_bundle({"format": "nonsense"})
>>> report.ok, report.first_failure.name
(False, 'format')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from trustcart.core.clock import format_instant
from trustcart.core.json_limits import MAX_JSON_DEPTH, JsonTooDeep, loads_bounded
from trustcart.crypto.jcs import b64url
from trustcart.crypto.jws import peek_payload
from trustcart.crypto.keys import PublicKey, jwks
from trustcart.trust.bundle_checks import BundleChecks
from trustcart.trust.bundle_format import BUNDLE_FORMAT, ROLES, CheckFailed
from trustcart.trust.errors import BundleFileError, TrustError
from trustcart.trust.log import RecordedEvent, TransparencyLog

# A real bundle is tens of kilobytes; anything this large is refused before it is parsed.
MAX_BUNDLE_FILE_BYTES = 8 * 1024 * 1024

__all__ = [
    "BUNDLE_FORMAT",
    "BundleKey",
    "Check",
    "VerificationReport",
    "build_purchase_bundle",
    "verify_bundle",
    "verify_bundle_file",
]


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "passed": self.passed, "detail": self.detail}


@dataclass(frozen=True)
class VerificationReport:
    """Every check with its outcome; ``ok`` only when there is at least one and all passed."""

    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(check.passed for check in self.checks)

    @property
    def first_failure(self) -> Check | None:
        return next((check for check in self.checks if not check.passed), None)

    @property
    def reason(self) -> str | None:
        failed = self.first_failure
        return f"{failed.name}: {failed.detail}" if failed else None

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "reason": self.reason,
            "checks": [check.to_json() for check in self.checks],
        }


def verify_bundle(
    bundle: Any, *, trusted_keys: Mapping[str, PublicKey] | None = None
) -> VerificationReport:
    """Run every check on ``bundle`` offline and report; never raises for a bad bundle."""
    run = BundleChecks(bundle, trusted_keys)
    checks: list[Check] = []
    for name in BundleChecks.CHECK_ORDER:
        method = getattr(run, "check_" + name.replace("-", "_"))
        try:
            detail = method()
        except CheckFailed as e:
            checks.append(Check(name, False, str(e)))
        except Exception as e:  # fail closed on anything unexpected, whatever it is
            checks.append(Check(name, False, f"{type(e).__name__}: {e}".rstrip(": ")))
        else:
            checks.append(Check(name, True, detail))
    return VerificationReport(tuple(checks))


def load_bundle_file(path: str | Path, *, max_bytes: int = MAX_BUNDLE_FILE_BYTES) -> Any:
    """Read and parse a bundle (or JWKS) file; ``BundleFileError`` with a one-line reason if it
    cannot be read, is larger than ``max_bytes``, is not UTF-8, nests deeper than
    ``MAX_JSON_DEPTH`` or is not JSON. Nothing here recurses on the document."""
    try:
        with Path(path).open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as e:
        raise BundleFileError(f"cannot read {path}: {e.strerror or e}") from e
    if len(data) > max_bytes:
        raise BundleFileError(f"{path} is larger than {max_bytes} bytes: not an evidence file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise BundleFileError(f"{path} is not UTF-8 text (byte {e.start})") from e
    try:
        return loads_bounded(text)
    except JsonTooDeep as e:
        raise BundleFileError(f"{path} nests deeper than {MAX_JSON_DEPTH} levels") from e
    except ValueError as e:
        raise BundleFileError(f"{path} is not JSON: {e}") from e


def verify_bundle_file(
    path: str | Path, *, trusted_keys: Mapping[str, PublicKey] | None = None
) -> VerificationReport:
    """``verify_bundle`` on a file; raises ``BundleFileError`` only if it cannot be read."""
    return verify_bundle(load_bundle_file(path), trusted_keys=trusted_keys)


@dataclass(frozen=True)
class BundleKey:
    """A public key as the bundle lists it, with the role it plays and the party it belongs to."""

    key: PublicKey
    role: str
    id: str

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise TrustError(f"unknown key role {self.role!r}; one of {ROLES}")
        if not isinstance(self.id, str) or not self.id:
            raise TrustError("a bundle key needs the id of its party")


def build_purchase_bundle(
    *,
    keys: Sequence[BundleKey],
    isr: Mapping[str, Any],
    iac: str,
    status: str,
    cart: str,
    approval: str | None,
    receipt: str,
    events: Sequence[RecordedEvent],
    log: TransparencyLog,
    now: datetime,
) -> dict[str, Any]:
    """Assemble a purchase bundle with inclusion proofs against one freshly signed tree head.

    The log's own key is added with role ``log`` when ``keys`` lacks it. The bundle is not
    verified here (a dispute may need to package evidence that fails); call ``verify_bundle``.
    """
    listed = list(keys)
    if not any(k.role == "log" for k in listed):
        listed.append(BundleKey(log.public_key, "log", log.log_id))
    tree_head = log.tree_head()
    tree_size = peek_payload(tree_head)["tree_size"]
    return {
        "format": BUNDLE_FORMAT,
        "kind": "purchase",
        "created_at": format_instant(now),
        "keys": {
            "jwks": jwks(k.key for k in listed),
            "roles": {k.key.kid: {"role": k.role, "id": k.id} for k in listed},
        },
        "isr": dict(isr),
        "iac": iac,
        "status": status,
        "cart": cart,
        "approval": approval,
        "receipt": receipt,
        "events": [
            {
                "record": event.record_jws,
                "leaf_index": event.leaf_index,
                "inclusion_proof": [
                    b64url(h) for h in log.inclusion_proof(event.leaf_index, tree_size)
                ],
            }
            for event in events
        ],
        "tree_head": tree_head,
    }
