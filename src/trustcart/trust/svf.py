"""TSD-ATT-SVF's result codes for an evidence bundle, in the order the spec checks them.

ACT's verification flow checks, in order: (1) the signer's key, else
``PUBLIC_KEY_UNAVAILABLE``; (2) the payload hash, else ``PAYLOAD_HASH_MISMATCH``; (3) the
signatures, else ``SIGNATURE_INVALID``; (4) the anchor, else ``ANCHOR_NOT_FOUND`` or
``CHAIN_HASH_MISMATCH`` (``ANCHOR_QUERY_TIMEOUT`` when a witness cannot be asked in time);
(5) ``VERIFIED``, cryptographic only. ``svf_steps`` maps the bundle's checks onto those steps
(a step fails when any check mapped to it failed) and ``svf_result`` is the first step that
failed, else ``VERIFIED``. Checks that are not cryptographic (the IAC's limits, the cart's
binding, the lifecycle) map to no step: a bundle can be ``VERIFIED`` under SVF and still be
refused, exactly as the spec says ``VERIFIED`` is "cryptographic only".

>>> svf_result([], anchored=True)  # no check failed
<SvfResult.VERIFIED: 'VERIFIED'>
>>> svf_result([("tree-head", "SIGNATURE_INVALID", "x"), ("keys", "", "y")], anchored=True)
<SvfResult.PUBLIC_KEY_UNAVAILABLE: 'PUBLIC_KEY_UNAVAILABLE'>
>>> svf_result([], anchored=False)
<SvfResult.ANCHOR_NOT_FOUND: 'ANCHOR_NOT_FOUND'>
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

__all__ = ["SVF_STEPS", "SvfResult", "check_code", "svf_result", "svf_steps"]


class SvfResult(StrEnum):
    VERIFIED = "VERIFIED"
    PUBLIC_KEY_UNAVAILABLE = "PUBLIC_KEY_UNAVAILABLE"
    PAYLOAD_HASH_MISMATCH = "PAYLOAD_HASH_MISMATCH"
    SIGNATURE_INVALID = "SIGNATURE_INVALID"
    ANCHOR_NOT_FOUND = "ANCHOR_NOT_FOUND"
    CHAIN_HASH_MISMATCH = "CHAIN_HASH_MISMATCH"
    ANCHOR_QUERY_TIMEOUT = "ANCHOR_QUERY_TIMEOUT"


# (step name, the codes a failure of that step reports), in the spec's order.
SVF_STEPS: tuple[tuple[str, tuple[SvfResult, ...]], ...] = (
    ("public-key", (SvfResult.PUBLIC_KEY_UNAVAILABLE,)),
    ("payload-hash", (SvfResult.PAYLOAD_HASH_MISMATCH,)),
    ("signatures", (SvfResult.SIGNATURE_INVALID,)),
    (
        "anchor",
        (
            SvfResult.ANCHOR_NOT_FOUND,
            SvfResult.CHAIN_HASH_MISMATCH,
            SvfResult.ANCHOR_QUERY_TIMEOUT,
        ),
    ),
)
_BY_NAME = {
    "keys": SvfResult.PUBLIC_KEY_UNAVAILABLE,
    "trust-anchors": SvfResult.PUBLIC_KEY_UNAVAILABLE,
    "iac-isr-digest": SvfResult.PAYLOAD_HASH_MISMATCH,
    "inclusion-proofs": SvfResult.PAYLOAD_HASH_MISMATCH,
    "iac-signature": SvfResult.SIGNATURE_INVALID,
    "status-signature": SvfResult.SIGNATURE_INVALID,
    "cart-signature": SvfResult.SIGNATURE_INVALID,
    "receipt-signature": SvfResult.SIGNATURE_INVALID,
    "tree-head": SvfResult.SIGNATURE_INVALID,
}


def check_code(name: str, code: str | None, detail: str) -> SvfResult | None:
    """The SVF code a failed check reports (None: not a cryptographic check, or a check that
    failed only because one it depends on did, which reports its own code)."""
    if detail.startswith("depends on "):
        return None
    if code:
        return SvfResult(code) if code in SvfResult.__members__ else None
    if name == "events":  # records: their hash, then their signature (trust.events)
        if "payload_hash does not match" in detail:
            return SvfResult.PAYLOAD_HASH_MISMATCH
        if detail.startswith("InvalidSignature"):
            return SvfResult.SIGNATURE_INVALID
        return None
    return _BY_NAME.get(name)


def svf_steps(
    failures: Iterable[tuple[str, str | None, str]], *, anchored: bool
) -> list[tuple[str, SvfResult | None]]:
    """Each SVF step with the code it failed with, or None when it held.

    ``failures`` are the failed checks as (name, code, detail); ``anchored`` is whether the
    bundle carries anchors at all (without, the anchor step reports ``ANCHOR_NOT_FOUND``).
    """
    codes = [c for c in (check_code(*f) for f in failures) if c is not None]
    if not anchored:
        codes.append(SvfResult.ANCHOR_NOT_FOUND)
    return [(step, next((c for c in codes if c in members), None)) for step, members in SVF_STEPS]


def svf_result(failures: Iterable[tuple[str, str | None, str]], *, anchored: bool) -> SvfResult:
    """The first SVF step that failed, in the spec's order; ``VERIFIED`` when none did."""
    for _step, code in svf_steps(failures, anchored=anchored):
        if code is not None:
            return code
    return SvfResult.VERIFIED
