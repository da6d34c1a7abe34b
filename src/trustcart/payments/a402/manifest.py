"""Workflow binding manifests (``workflow-binding-manifest.schema.json``): what a binding covers.

A binding declares which phases of the A402 interaction it implements, its inputs, what can be
observed of it, what evidence it keeps and what it redacts. ``TRUSTCART_CORE`` is the honest
declaration of this package: the requirement, the retried request and proof validation, as
pure functions; authorization, payment, delivery and fulfillment belong to other components.

>>> WorkflowBindingManifest.from_json(TRUSTCART_CORE.to_json()) == TRUSTCART_CORE
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from trustcart.core.errors import ValidationError
from trustcart.payments.a402.model import METHOD_ID, METHOD_VERSION

_LISTS = ("covers", "inputs", "observable_outcomes", "evidence", "redaction")


class Coverage(StrEnum):
    PAYMENT_REQUIREMENT = "PAYMENT_REQUIREMENT"
    AUTHORIZATION = "AUTHORIZATION"
    PAYMENT = "PAYMENT"
    ORIGINAL_REQUEST_RETRY = "ORIGINAL_REQUEST_RETRY"
    PROOF_VALIDATION = "PROOF_VALIDATION"
    DELIVERY = "DELIVERY"
    FULFILLMENT = "FULFILLMENT"
    EVIDENCE = "EVIDENCE"


def _strings(value: Any, name: str) -> tuple[str, ...]:
    items = tuple(value) if isinstance(value, list | tuple) else None
    if (
        not items
        or not all(isinstance(item, str) and item for item in items)
        or len(set(items)) != len(items)
    ):
        raise ValidationError(f"{name} must be a non-empty list of distinct non-empty strings")
    return items


@dataclass(frozen=True)
class WorkflowBindingManifest:
    binding_id: str
    binding_version: str
    covers: tuple[Coverage, ...]
    inputs: tuple[str, ...]
    observable_outcomes: tuple[str, ...]
    evidence: tuple[str, ...]
    redaction: tuple[str, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.binding_id, str) or not METHOD_ID.fullmatch(self.binding_id):
            raise ValidationError("binding_id is malformed")
        if not isinstance(self.binding_version, str) or not METHOD_VERSION.fullmatch(
            self.binding_version
        ):
            raise ValidationError("binding_version is malformed")
        for name in _LISTS:
            object.__setattr__(self, name, _strings(getattr(self, name), name))
        try:
            object.__setattr__(self, "covers", tuple(Coverage(item) for item in self.covers))
        except ValueError as e:
            raise ValidationError(f"covers: {e}") from e

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> WorkflowBindingManifest:
        """Parse a manifest; raise ValidationError for missing or unknown members."""
        names = {"binding_id", "binding_version", *_LISTS}
        if not isinstance(obj, Mapping) or set(obj) != names:
            raise ValidationError(f"a manifest has exactly the members {sorted(names)}")
        return cls(**{name: obj[name] for name in names})

    def to_json(self) -> dict[str, Any]:
        return {
            "binding_id": self.binding_id,
            "binding_version": self.binding_version,
            **{name: [str(item) for item in getattr(self, name)] for name in _LISTS},
        }


TRUSTCART_CORE = WorkflowBindingManifest(
    binding_id="trustcart:a402/core",
    binding_version="1.0.0",
    covers=(
        Coverage.PAYMENT_REQUIREMENT,
        Coverage.ORIGINAL_REQUEST_RETRY,
        Coverage.PROOF_VALIDATION,
    ),
    inputs=("paid resource request", "Payment-Proof", "PSP verification keys", "replay keys"),
    observable_outcomes=("402 with Payment-Needed", "proof refusal reason", "Payment-Validation"),
    evidence=("PSP-signed payment credential", "replay key"),
    redaction=("payment proof", "authorization headers", "cookies"),
)
