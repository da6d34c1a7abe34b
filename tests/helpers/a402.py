"""Shared A402 test material: the pinned ACT artifacts, schema validators, one paid request.

The artifacts are read from the shared conformance folder (``$TRUSTCART_CONFORMANCE_DIR`` or
``<repo>/../shared/conformance``), as the conformance kit reads them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

from trustcart.conformance.web_bot_auth import conformance_dir
from trustcart.core.money import Money
from trustcart.crypto.keys import Algorithm, SigningKey
from trustcart.payments.a402.credential import (
    TRUSTCART_METHOD,
    PaymentCredential,
    PspCredentials,
    issue_credential,
)
from trustcart.payments.a402.model import PaymentProof, PaymentRequirement, RequestBinding
from trustcart.payments.a402.model import request_fingerprint as fingerprint_of
from trustcart.payments.a402.signing import sign_requirement

T0 = datetime(2026, 8, 3, 12, 0, tzinfo=UTC)


def a402_dir() -> Path:
    return conformance_dir() / "act" / "a402"


def load(name: str) -> Any:
    return json.loads((a402_dir() / name).read_text(encoding="utf-8"))


@cache
def _registry() -> Registry:
    resources = [
        (path.name, Resource.from_contents(json.loads(path.read_text(encoding="utf-8"))))
        for path in a402_dir().glob("*.schema.json")
    ]
    return Registry().with_resources(resources)


@cache
def validator(schema_name: str) -> Draft202012Validator:
    """A validator for one pinned schema, its relative ``$ref`` resolved within the folder."""
    return Draft202012Validator(
        load(schema_name), registry=_registry(), format_checker=FormatChecker()
    )


def schema_errors(schema_name: str, instance: Any) -> list[str]:
    return [error.message for error in validator(schema_name).iter_errors(instance)]


@dataclass(frozen=True)
class Paid:
    """One paid request: seller and PSP keys, the signed requirement, credential and proof."""

    seller: SigningKey
    psp: SigningKey
    request: RequestBinding
    requirement: PaymentRequirement
    credential: PaymentCredential
    proof: PaymentProof
    now: datetime

    @property
    def credentials(self) -> PspCredentials:
        return PspCredentials({self.psp.kid: self.psp.public})

    def with_credential(self, **changes: Any) -> PaymentProof:
        """The proof carrying a credential the PSP signed with these claims changed."""
        credential = replace(self.credential, **changes)
        return replace(self.proof, credential=issue_credential(credential, self.psp))


def paid(alg: Algorithm = "EdDSA", http_method: str = "GET") -> Paid:
    seller, psp = SigningKey.generate(alg), SigningKey.generate(alg)
    idempotency_key = None if http_method == "GET" else "idem-1"
    request = RequestBinding(http_method, fingerprint_of(http_method, "/trend"), idempotency_key)
    requirement = PaymentRequirement(
        payment_method=TRUSTCART_METHOD,
        out_trade_no="ORDER-1",
        amount=Money(1990, "CNY"),
        resource_id="resource-1",
        pay_before=T0 + timedelta(minutes=10),
        seller_id="seller-1",
        request=request,
        replay_window_seconds=600,
        extensions={"psp_id": "trustcart-psp"},
    )
    credential = PaymentCredential(
        trade_no="T-1",
        out_trade_no="ORDER-1",
        resource_id="resource-1",
        amount=Money(1990, "CNY"),
        seller_id="seller-1",
        buyer_id="buyer-1",
        method_id=TRUSTCART_METHOD.method_id,
        request_fingerprint=request.fingerprint,
        paid_at=T0 + timedelta(minutes=1),
        expires_at=T0 + timedelta(hours=1),
    )
    proof = PaymentProof(
        payment_method=TRUSTCART_METHOD,
        out_trade_no="ORDER-1",
        resource_id="resource-1",
        buyer_id="buyer-1",
        credential=issue_credential(credential, psp),
        trade_no="T-1",
        expires_at=credential.expires_at,
        request=request,
        extensions={"client_session": "session-1"},
    )
    return Paid(
        seller,
        psp,
        request,
        sign_requirement(requirement, seller),
        credential,
        proof,
        T0 + timedelta(minutes=2),
    )
