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
did not verify fails as "depends on ...".

The verdict has three values (``VerificationReport.verdict``):

* ``verified``: every check holds against trust anchors (``trust.anchors``) that bind each key
  to its party and role; only then is ``ok`` true;
* ``consistent-only``: every check holds, but no anchors were given, so the keys are the
  bundle's own and the verdict is only "these keys agree on this purchase": anyone can make
  such a bundle with keys of their own;
* ``refused``: a check failed; ``reason`` names the first.

The report lists every key by party (``signers``): who signed in which role, and whether an
anchor vouches for it.

>>> report = verify_bundle({"format": "nonsense"})
>>> report.verdict, report.first_failure.name
('refused', 'format')
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
from trustcart.trust.anchors import TrustAnchors
from trustcart.trust.attestations import RecordedEvent
from trustcart.trust.bundle_checks import BundleChecks
from trustcart.trust.bundle_format import BUNDLE_FORMAT, ROLES, CheckFailed
from trustcart.trust.bundle_witness_checks import NOT_ANCHORED
from trustcart.trust.errors import BundleFileError, TrustError
from trustcart.trust.log import TransparencyLog
from trustcart.trust.svf import SvfResult, svf_result, svf_steps

# A real bundle is tens of kilobytes; anything this large is refused before it is parsed.
MAX_BUNDLE_FILE_BYTES = 8 * 1024 * 1024

__all__ = [
    "BUNDLE_FORMAT",
    "BundleKey",
    "Check",
    "Signer",
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
    code: str | None = None  # a TSD-ATT-SVF result code, when the check reports one

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "passed": self.passed, "detail": self.detail}


@dataclass(frozen=True)
class Signer:
    """A key of the bundle, by party: who it is, the role it signs in, and if an anchor vouches."""

    party_id: str
    role: str
    kid: str
    anchored: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "party_id": self.party_id,
            "role": self.role,
            "kid": self.kid,
            "anchored": self.anchored,
        }


UNANCHORED = (
    "no trust anchors: every check holds, but the keys are the bundle's own, so it is only "
    "internally consistent (anyone can make such a bundle with keys of their own)"
)


@dataclass(frozen=True)
class VerificationReport:
    """Every check with its outcome, the keys by party, and whether anchors were given."""

    checks: tuple[Check, ...]
    anchored: bool = False
    signers: tuple[Signer, ...] = ()

    @property
    def consistent(self) -> bool:
        """At least one check ran and every check passed (with or without anchors)."""
        return bool(self.checks) and all(check.passed for check in self.checks)

    @property
    def ok(self) -> bool:
        """Verified: every check passed, against trust anchors."""
        return self.consistent and self.anchored

    @property
    def verdict(self) -> str:
        if not self.consistent:
            return "refused"
        return "verified" if self.anchored else "consistent-only"

    @property
    def first_failure(self) -> Check | None:
        return next((check for check in self.checks if not check.passed), None)

    @property
    def reason(self) -> str | None:
        """The first failing check, or why a consistent bundle is not verified; else None."""
        failed = self.first_failure
        if failed is not None:
            return f"{failed.name}: {failed.detail}"
        return None if self.ok else UNANCHORED

    @property
    def witness_anchored(self) -> bool:
        """The bundle carries witness anchors (its ``witness-anchor`` check says which)."""
        return any(c.name == "witness-anchor" and c.detail != NOT_ANCHORED for c in self.checks)

    @property
    def svf(self) -> SvfResult:
        """TSD-ATT-SVF's result: the first of its steps that failed, else ``VERIFIED``."""
        failed = [(c.name, c.code, c.detail) for c in self.checks if not c.passed]
        return svf_result(failed, anchored=self.witness_anchored)

    def svf_json(self) -> dict[str, Any]:
        failed = [(c.name, c.code, c.detail) for c in self.checks if not c.passed]
        steps = svf_steps(failed, anchored=self.witness_anchored)
        return {
            "result": self.svf.value,
            "steps": [{"step": s, "result": (c or "PASS")} for s, c in steps],
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "verdict": self.verdict,
            "anchored": self.anchored,
            "svf": self.svf_json(),
            "reason": self.reason,
            "signers": [signer.to_json() for signer in self.signers],
            "checks": [check.to_json() for check in self.checks],
        }


def verify_bundle(
    bundle: Any, *, anchors: TrustAnchors | None = None, require_anchor: bool = False
) -> VerificationReport:
    """Run every check on ``bundle`` offline and report; never raises for a bad bundle.

    Without ``anchors`` the report can at best be ``consistent-only``, never ``ok``. A bundle
    without witness anchors passes as "not anchored" unless ``require_anchor``.
    """
    if anchors is not None and not isinstance(anchors, TrustAnchors):
        raise TypeError("anchors must be TrustAnchors (a bare key set names no parties)")
    run = BundleChecks(bundle, anchors)
    run.require_anchor = require_anchor
    checks: list[Check] = []
    for name in BundleChecks.CHECK_ORDER:
        if name == "trust-anchors" and anchors is None:
            continue
        method = getattr(run, "check_" + name.replace("-", "_"))
        try:
            detail = method()
        except CheckFailed as e:
            checks.append(Check(name, False, str(e), getattr(e, "code", None)))
        except Exception as e:  # fail closed on anything unexpected, whatever it is
            checks.append(Check(name, False, f"{type(e).__name__}: {e}".rstrip(": ")))
        else:
            checks.append(Check(name, True, detail))
    signers = tuple(
        Signer(
            party,
            role,
            kid,
            anchors is not None and anchors.mismatch(kid, role=role, party=party) is None,
        )
        for kid, (role, party) in sorted(run.roles.items(), key=lambda item: item[1][::-1])
    )
    return VerificationReport(tuple(checks), anchored=anchors is not None, signers=signers)


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
    path: str | Path, *, anchors: TrustAnchors | None = None, require_anchor: bool = False
) -> VerificationReport:
    """``verify_bundle`` on a file; raises ``BundleFileError`` only if it cannot be read."""
    return verify_bundle(load_bundle_file(path), anchors=anchors, require_anchor=require_anchor)


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
    """Assemble a purchase bundle with inclusion proofs against one freshly signed tree head
    (a write to the log's head table: packaging is the operator's work, not an anonymous read).

    The log's own key is added with role ``log`` when ``keys`` lacks it. The bundle is not
    verified here (a dispute may need to package evidence that fails); call ``verify_bundle``.
    """
    listed = list(keys)
    if not any(k.role == "log" for k in listed):
        listed.append(BundleKey(log.public_key, "log", log.log_id))
    tree_head = log.sign_tree_head()  # stamped now, so it postdates every record it covers
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
