"""Adversarial tests from the trust-layer security review: each one tries to get past a check.

Every test here failed (the attack got through) before the fix it pins:

* a transition request replayed to the status service (resume a credential its owner
  suspended again);
* category strings that are not canonical (case, whitespace, ``..`` segments, non-ASCII look-
  alikes) slipping past ``forbidden_categories`` or ``allowed_categories`` at the PSP, in the
  constraint evaluator and in the evidence verifier;
* amounts written with a trailing newline or non-ASCII digits;
* a payment token revoked while a payment is between its checks and its ledger write;
* an evidence bundle whose payment happened at the very end of the IAC window (the PSP refuses
  that instant, so the bundle must not pass either).
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

import pytest

from tests.helpers.bundles import assert_fails, at, build_bundle
from tests.helpers.clock import T0
from tests.helpers.delegation import alice_key
from tests.helpers.delegation import make_iac as make_delegation_iac
from tests.helpers.payments import World, make_world
from tests.helpers.registration import delegator_keys, directory_with_delegator, register
from trustcart.core.clock import FixedClock
from trustcart.core.errors import MoneyError
from trustcart.core.money import Money
from trustcart.core.problem import ProblemError
from trustcart.crypto.keys import SigningKey
from trustcart.delegation.constraints import (
    ConstraintReason,
    PurchaseFacts,
    SpendSoFar,
    evaluate_purchase,
)
from trustcart.delegation.errors import InvalidCredential
from trustcart.delegation.lifecycle import (
    Actor,
    CredentialStatus,
    Transition,
    sign_transition_request,
)
from trustcart.delegation.service import DelegationService
from trustcart.delegation.terms import CommerceConstraints
from trustcart.payments.errors import PaymentProblem
from trustcart.payments.outcomes import run_idempotently
from trustcart.payments.payment_admission import check_credential_status, check_payment
from trustcart.payments.payment_commit import PaymentCommit
from trustcart.store.db import Database

STATUS_KEY = SigningKey.generate()

# Spellings of a forbidden category that a string comparison does not recognise.
DISGUISED_ALCOHOL = [
    "drinks/alcohol ",  # trailing space
    " drinks/alcohol",  # leading space
    "Drinks/Alcohol",  # case
    "drinks/alcohol\n",  # trailing newline
    "drinks//alcohol",  # empty segment
    "drinks/./alcohol",  # dot segment
    "drinks/milk-tea/../alcohol",  # parent segment: "drinks/alcohol" once normalised
    "drinks/alcohol/",  # trailing slash
    "ｄｒｉｎｋｓ/ａｌｃｏｈｏｌ",  # fullwidth look-alikes (NFKC: drinks/alcohol)
    "drinks/alcoh\u200bol",  # zero-width space
]


# -- status service: transition requests are single use ------------------------------------


@pytest.fixture
def status_service(db: Database, clock: FixedClock) -> DelegationService:
    service = DelegationService(
        db,
        status_key=STATUS_KEY,
        clock=clock,
        delegator_keys=delegator_keys(directory_with_delegator(alice_key())),
    )
    register(service, make_delegation_iac(T0), alice_key(), clock.now())
    return service


def _transition(transition: Transition, clock: FixedClock) -> str:
    return sign_transition_request(
        "dlg_test1", transition, key=alice_key(), actor=Actor.PRINCIPAL, now=clock.now()
    )


def test_replayed_resume_cannot_reactivate_a_credential_suspended_again(
    status_service: DelegationService, clock: FixedClock
) -> None:
    status_service.apply(_transition(Transition.SUSPEND, clock))
    clock.advance(timedelta(seconds=10))
    resume = _transition(Transition.RESUME, clock)
    status_service.apply(resume)
    clock.advance(timedelta(seconds=10))
    status_service.apply(_transition(Transition.SUSPEND, clock))  # the owner suspends again
    clock.advance(timedelta(seconds=10))
    with pytest.raises(ProblemError) as caught:
        status_service.apply(resume)  # an eavesdropper replays the earlier resume
    assert caught.value.code == "not-authorized"
    assert status_service.status("dlg_test1").status is CredentialStatus.SUSPENDED


def test_a_refused_transition_request_is_used_up_too(
    status_service: DelegationService, clock: FixedClock
) -> None:
    # A resume sent while Active is illegal; it must not stay usable for a later suspension.
    early_resume = _transition(Transition.RESUME, clock)
    with pytest.raises(ProblemError):
        status_service.apply(early_resume)
    status_service.apply(_transition(Transition.SUSPEND, clock))
    with pytest.raises(ProblemError) as caught:
        status_service.apply(early_resume)
    assert caught.value.code == "not-authorized"
    assert status_service.status("dlg_test1").status is CredentialStatus.SUSPENDED


def test_fresh_requests_in_the_same_second_are_all_accepted(
    status_service: DelegationService, clock: FixedClock
) -> None:
    for transition in (
        Transition.SUSPEND,
        Transition.RESUME,
        Transition.SUSPEND,
        Transition.RESUME,
    ):
        status_service.apply(_transition(transition, clock))
    assert status_service.status("dlg_test1").status is CredentialStatus.ACTIVE


# -- categories: one canonical spelling, or refused ------------------------------------------


def _facts(category: str) -> PurchaseFacts:
    return PurchaseFacts(
        merchant_id="m_teahouse",
        categories=(category,),
        amount=Money.parse("18.00", "CNY"),
        quantity=1,
        payment_method="trustcart-balance",
        at=T0 + timedelta(hours=1),
    )


@pytest.mark.parametrize("category", DISGUISED_ALCOHOL)
def test_disguised_forbidden_category_is_refused_by_the_evaluator(category: str) -> None:
    iac = make_delegation_iac(
        T0, commerce=CommerceConstraints(forbidden_categories=("drinks/alcohol",))
    )
    result = evaluate_purchase(iac, _facts(category), SpendSoFar.zero("CNY"))
    assert not result.allowed
    assert {ConstraintReason.CATEGORY_FORBIDDEN, ConstraintReason.CATEGORY_NOT_ALLOWED} & set(
        result.reasons
    )


@pytest.mark.parametrize(
    "category",
    [
        "drinks/milk-tea/../alcohol",
        "drinks/milk-tea/./x",
        "drinks/milk-tea/..",
        "drinks/milk-tea/ ",
        "drinks/milk-tea\n",
    ],
)
def test_non_canonical_category_is_never_inside_an_allowed_one(category: str) -> None:
    iac = make_delegation_iac(T0)  # allowed_categories = drinks/milk-tea
    result = evaluate_purchase(iac, _facts(category), SpendSoFar.zero("CNY"))
    assert ConstraintReason.CATEGORY_NOT_ALLOWED in result.reasons


@pytest.mark.parametrize(
    "pattern",
    ["Drinks/Alcohol", "drinks/alcohol ", "drinks/../alcohol", "", "drinks//alcohol", "/drinks"],
)
def test_credential_terms_refuse_non_canonical_categories(pattern: str) -> None:
    with pytest.raises(InvalidCredential):
        CommerceConstraints(forbidden_categories=(pattern,))
    with pytest.raises(InvalidCredential):
        CommerceConstraints.from_json({"allowed_categories": [pattern]}, "CNY")


@pytest.mark.parametrize(
    "category", ["drinks/alcohol ", "Drinks/Alcohol", "drinks/milk-tea/../alcohol"]
)
def test_psp_refuses_a_cart_with_a_disguised_forbidden_category(
    db: Database, clock: FixedClock, category: str
) -> None:
    # allowed_categories empty (no restriction), forbidden set: only the forbidden list guards.
    world: World = make_world(
        db, clock, commerce=CommerceConstraints(forbidden_categories=("drinks/alcohol",))
    )
    before = world.snapshot()
    outcome = world.pay(world.request(world.cart(category=category)))
    assert not outcome.ok, "a forbidden category was paid for"
    assert outcome.code == PaymentProblem.CATEGORY_NOT_ALLOWED
    assert world.snapshot() == before


def test_psp_still_pays_a_canonical_allowed_category(db: Database, clock: FixedClock) -> None:
    world = make_world(
        db, clock, commerce=CommerceConstraints(forbidden_categories=("drinks/alcohol",))
    )
    assert world.pay(world.request(world.cart(category="drinks/milk-tea"))).ok


def _item_category(value: str) -> Any:
    def mutate(payload: dict[str, Any]) -> None:
        payload["items"][0]["category"] = value

    return mutate


@pytest.mark.parametrize(
    "category", ["drinks/milk-tea/../alcohol", "drinks/milk-tea/ ", "Drinks/Milk-Tea"]
)
def test_evidence_refuses_a_non_canonical_cart_category(category: str) -> None:
    report = assert_fails(build_bundle(cart=_item_category(category)))
    assert report.first_failure is not None
    assert report.first_failure.name == "cart-items", report.reason


def test_evidence_refuses_a_disguised_forbidden_category() -> None:
    def forbid(payload: dict[str, Any]) -> None:
        payload["ext"]["commerce"]["allowed_categories"] = []
        payload["ext"]["commerce"]["forbidden_categories"] = ["drinks/milk-tea"]

    # Canonical: refused already. The disguise must not fare better.
    assert_fails(build_bundle(iac=forbid))
    assert_fails(build_bundle(iac=forbid, cart=_item_category("drinks/milk-tea ")))


# -- amounts: ASCII digits only, nothing after them ----------------------------------------


@pytest.mark.parametrize("text", ["18.00\n", "１８.００", "١٨.٠٠", "18.0\u0660"])
def test_money_refuses_non_ascii_digits_and_trailing_newline(text: str) -> None:
    with pytest.raises(MoneyError):
        Money.parse(text, "CNY")


# -- payment: the token is re-checked at the ledger write -----------------------------------


def test_token_revoked_between_checks_and_commit_is_refused(
    db: Database, clock: FixedClock
) -> None:
    world = make_world(db, clock)
    body = world.request()
    psp_id = world.provider.psp_id
    checked = check_payment(
        db,
        "agent:trustcart-assistant",
        body,
        world.now,
        directory=world.directory,
        psp_id=psp_id,
        check_status=partial(check_credential_status, world.status),
    )
    token_id = checked.token.token_id
    assert world.provider.revoke_token(token_id)  # the delegator pulls the token meanwhile
    before = world.snapshot()
    commit = PaymentCommit(db, psp_id=psp_id, signing_key=world.psp_key)
    outcome = run_idempotently(
        db,
        clock,
        "payments:agent:trustcart-assistant",
        "idem_toctou",
        request=body,
        operation=lambda scope, now: commit.commit(checked, scope, "idem_toctou", now),
    )
    assert outcome.code == PaymentProblem.TOKEN_INVALID
    assert world.snapshot() == before


# -- evidence: the IAC window is half open, as at the PSP ----------------------------------


def test_evidence_refuses_a_payment_at_the_end_of_the_iac_window() -> None:
    def end_at_payment(payload: dict[str, Any]) -> None:
        payload["validity_end_time"] = at(4.5)  # PAID_AT: the PSP refuses at this instant

    report = assert_fails(build_bundle(iac=end_at_payment))
    assert report.first_failure is not None
    assert report.first_failure.name == "iac-validity", report.reason


# -- payment: the cart must be for this intent, as the evidence verifier requires -----------


def test_psp_refuses_a_cart_confirmed_for_another_intent(db: Database, clock: FixedClock) -> None:
    world = make_world(db, clock)
    before = world.snapshot()
    outcome = world.pay(world.request(world.cart(intent_id="int_other")))
    assert outcome.code == PaymentProblem.CART_INVALID
    assert world.snapshot() == before
