"""Known answers from the shared reference-v1 vectors and examples, read object by object.

Each invalid vector is also refused *for its own defect*: several of them also lack
``associationRole`` (added to the schema after they were written), so the tests put the role
back and check that the object is still refused, and that the frozen dataclass refuses the
defect by itself, without the schema.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from trustcart.conformance.act_tsd_crd import READERS
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.jcs import canonicalize
from trustcart.crypto.spki import public_key_from_pem
from trustcart.trust.credit.authorization import CreditQueryAuthorization, ResultUseRestrictions
from trustcart.trust.credit.credential import AssociationCredential
from trustcart.trust.credit.errors import InvalidCreditObject
from trustcart.trust.credit.lifecycle import CredentialStatus
from trustcart.trust.credit.messages import DisclosedCredit, VerificationResponse
from trustcart.trust.credit.reasons import ReasonCode, VerificationResult
from trustcart.trust.credit.schemas import profile_dir
from trustcart.trust.credit.signing import decode_signature, encode_signature
from trustcart.trust.credit.values import (
    AuthorizationMode,
    JsonValue,
    MappingPolicy,
    Proof,
    VerificationLevel,
)

VECTORS = profile_dir() / "test-vectors"
EXAMPLES = profile_dir() / "examples"


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _vectors(folder: str, form: str) -> list[Path]:
    return [path for path in sorted((VECTORS / folder).glob("*.json")) if form in _load(path)]


def test_vector_folders_hold_the_published_counts() -> None:
    assert len(list((VECTORS / "valid").glob("*.json"))) == 23
    assert len(list((VECTORS / "invalid").glob("*.json"))) == 11


@pytest.mark.parametrize("path", _vectors("valid", "schema"), ids=lambda p: p.stem)
def test_valid_schema_vectors_are_read_and_written_back_unchanged(path: Path) -> None:
    vector = _load(path)
    obj = READERS[vector["schema"]](vector["instance"])
    assert obj.to_json() == vector["instance"]


@pytest.mark.parametrize("path", _vectors("invalid", "schema"), ids=lambda p: p.stem)
def test_invalid_schema_vectors_are_refused(path: Path) -> None:
    vector = _load(path)
    with pytest.raises(InvalidCreditObject):
        READERS[vector["schema"]](vector["instance"])


@pytest.mark.parametrize(
    ("stem", "expected"),
    [
        ("association-credential-agent-proof-in-core", "agentProofOfPossession"),
        ("association-credential-attested-with-subject-signature", "allOf/1/then/not"),
        ("association-credential-direct-missing-subject-signature", "subjectSignature"),
        ("association-credential-wrong-credit-source", "creditSource"),
    ],
)
def test_invalid_credentials_are_refused_for_their_own_defect(stem: str, expected: str) -> None:
    instance = _load(VECTORS / "invalid" / f"{stem}.json")["instance"]
    instance["associationRole"] = "OPERATOR"  # the other, incidental defect, repaired
    with pytest.raises(InvalidCreditObject, match=expected):
        AssociationCredential.from_json(instance)


def _valid_credential() -> AssociationCredential:
    vector = _load(VECTORS / "valid" / "association-credential-attested-outer-signature-only.json")
    return AssociationCredential.from_json(vector["instance"])


def test_the_dataclass_refuses_subject_fields_on_attested_without_the_schema() -> None:
    direct = AssociationCredential.from_json(
        _load(VECTORS / "valid" / "association-credential-direct-two-signatures.json")["instance"]
    )
    attested = _valid_credential()
    with pytest.raises(InvalidCreditObject, match="ATTESTED_CONFIRMATION carries no subject"):
        AssociationCredential(
            **{
                **attested.__dict__,
                "subject_public_key": direct.subject_public_key,
                "subject_signature": "c2ln",
                "subject_signature_algorithm": "Ed25519",
            }
        )


def test_the_dataclass_refuses_another_credit_source_without_the_schema() -> None:
    with pytest.raises(InvalidCreditObject, match="ASSOCIATED_CREDIT"):
        AssociationCredential(**{**_valid_credential().__dict__, "credit_source": "AGENT_OWN"})


def test_the_dataclass_refuses_direct_without_the_inner_signature() -> None:
    from trustcart.trust.credit.values import ConfirmationMethod

    with pytest.raises(InvalidCreditObject, match="DIRECT_SIGNATURE needs"):
        AssociationCredential(
            **{
                **_valid_credential().__dict__,
                "confirmation_method": ConfirmationMethod.DIRECT_SIGNATURE,
            }
        )


def test_the_dataclass_refuses_per_request_without_a_bound_request() -> None:
    vector = _load(VECTORS / "valid" / "credit-query-authorization-platform-delegated.json")
    platform = CreditQueryAuthorization.from_json(vector["instance"])
    with pytest.raises(InvalidCreditObject, match="PER_REQUEST binds one request"):
        CreditQueryAuthorization(
            **{
                **platform.__dict__,
                "mode": AuthorizationMode.PER_REQUEST,
                "platform_delegate_id": None,
                "frequency_limit": None,
            }
        )
    with pytest.raises(InvalidCreditObject, match="PLATFORM_DELEGATED names"):
        CreditQueryAuthorization(**{**platform.__dict__, "frequency_limit": None})


def test_a_stored_result_needs_a_retention_period() -> None:
    with pytest.raises(InvalidCreditObject, match="retentionSeconds"):
        ResultUseRestrictions(may_store=True, may_transfer=False)


def _minimal_response(**changes: Any) -> VerificationResponse:
    vector = _load(VECTORS / "valid" / "verification-response-credential-minimal-disclosure.json")
    response = VerificationResponse.from_json(vector["instance"])
    return VerificationResponse(**{**response.__dict__, **changes})


def test_a_credential_level_response_cannot_carry_credit_data() -> None:
    disclosed = DisclosedCredit(JsonValue.of({"level": "A"}), MappingPolicy("m", "1"))
    with pytest.raises(InvalidCreditObject, match="exactly when level two passed"):
        _minimal_response(disclosed=disclosed)


def test_a_failed_level_two_response_cannot_carry_credit_data() -> None:
    disclosed = DisclosedCredit(JsonValue.of({"level": "A"}), MappingPolicy("m", "1"))
    with pytest.raises(InvalidCreditObject, match="exactly when level two passed"):
        _minimal_response(
            completed_level=VerificationLevel.ASSOCIATED_CREDIT,
            result=VerificationResult.FAIL,
            reason_code=ReasonCode.AUTHORIZATION_SCOPE_MISMATCH,
            disclosed=disclosed,
        )


def test_a_pass_needs_an_active_credential_and_verified() -> None:
    with pytest.raises(InvalidCreditObject, match="ACTIVE"):
        _minimal_response(credential_status=CredentialStatus.REVOKED)
    with pytest.raises(InvalidCreditObject, match="PASS goes with VERIFIED"):
        _minimal_response(reason_code=ReasonCode.REVIEW_REQUIRED)
    with pytest.raises(InvalidCreditObject, match="PASS goes with VERIFIED"):
        _minimal_response(result=VerificationResult.FAIL)


def test_a_level_two_pass_needs_all_four_credit_fields() -> None:
    example = _load(EXAMPLES / "verification-response-associated-credit-pass.json")
    VerificationResponse.from_json(example)
    for name in ("creditSource", "associatedCreditValue", "mappingPolicy"):
        partial = {key: value for key, value in example.items() if key != name}
        with pytest.raises(InvalidCreditObject):
            VerificationResponse.from_json(partial)


_EXAMPLE_READERS = {
    "agent-associated-credit-assertion": "agent-associated-credit-assertion.schema.json",
    "association-application-attested": "association-application.schema.json",
    "association-application-direct": "association-application.schema.json",
    "association-credential-attested": "association-credential.schema.json",
    "association-credential-direct": "association-credential.schema.json",
    "credential-status-active": "credential-status.schema.json",
    "credit-query-authorization-per-request": "credit-query-authorization.schema.json",
    "credit-query-authorization-platform-delegated": "credit-query-authorization.schema.json",
    "status-change-suspend": "status-change-request.schema.json",
    "subject-credit-assertion": "subject-credit-assertion.schema.json",
    "verification-request-associated-credit": "verification-request.schema.json",
    "verification-request-credential": "verification-request.schema.json",
    "verification-response-associated-credit-pass": "verification-response.schema.json",
    "verification-response-credential-pass": "verification-response.schema.json",
    "verification-response-inconclusive": "verification-response.schema.json",
}


def test_every_example_has_a_reader() -> None:
    assert {path.stem for path in EXAMPLES.glob("*.json")} == set(_EXAMPLE_READERS)


@pytest.mark.parametrize(("stem", "schema"), sorted(_EXAMPLE_READERS.items()))
def test_examples_are_read_and_written_back_unchanged(stem: str, schema: str) -> None:
    example = _load(EXAMPLES / f"{stem}.json")
    assert READERS[schema](example).to_json() == example


def _canonical(name: str) -> dict[str, Any]:
    folder = "valid" if name == "canonical-ed25519-verification" else "invalid"
    return _load(VECTORS / folder / f"{name}.json")


def test_canonical_payload_is_our_jcs_and_the_signature_verifies() -> None:
    vector = _canonical("canonical-ed25519-verification")
    payload = vector["canonicalPayload"]
    assert canonicalize(json.loads(payload)) == payload.encode()
    key = public_key_from_pem(vector["publicKey"])
    key.verify(decode_signature(vector["signature"]), payload.encode())


def test_the_tampered_payload_is_refused() -> None:
    vector = _canonical("canonical-ed25519-tampered")
    key = public_key_from_pem(vector["publicKey"])
    with pytest.raises(InvalidSignature):
        key.verify(decode_signature(vector["signature"]), vector["canonicalPayload"].encode())


@pytest.mark.parametrize("position", [0, 31, 63])
def test_a_flipped_signature_bit_is_refused(position: int) -> None:
    vector = _canonical("canonical-ed25519-verification")
    raw = bytearray(decode_signature(vector["signature"]))
    raw[position] ^= 0x01
    key = public_key_from_pem(vector["publicKey"])
    with pytest.raises(InvalidSignature):
        key.verify(bytes(raw), vector["canonicalPayload"].encode())


@pytest.mark.parametrize(
    "spelling",
    [
        lambda s: s + "=",  # padding
        lambda s: s.replace("-", "+").replace("_", "/"),  # base64, not base64url
        lambda s: s[:-1],  # truncated
        lambda s: s + "AA",  # too long
        lambda s: " " + s,  # stray character
        lambda s: s[:-1] + chr(ord(s[-1]) + 1),  # the same bytes spelled another way
    ],
)
def test_only_the_canonical_base64url_spelling_is_accepted(spelling: Any) -> None:
    signature = _canonical("canonical-ed25519-verification")["signature"]
    assert encode_signature(decode_signature(signature)) == signature
    altered = spelling(signature)
    assert altered != signature
    with pytest.raises(InvalidSignature):
        decode_signature(altered)


def test_proofs_are_ed25519_only() -> None:
    with pytest.raises(InvalidCreditObject):
        Proof(signature_value="abc", signature_algorithm="ES256")
