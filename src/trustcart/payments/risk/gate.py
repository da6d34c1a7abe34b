"""The risk gate: the PSP's hook between admission (phase 1) and the ledger transaction.

``RiskGate.screen`` runs for every payment level, after every admission check passed and
before ``PaymentCommit`` opens its transaction: it reads the ``History`` (``history``), asks the
pure rules (``rules.assess``), logs the decision, and raises unless the decision is ``allow``:

* ``refuse`` -> ``risk-refused`` (403), naming every rule that fired (``rules``);
* ``step-up`` -> ``risk-step-up-required`` (403) with ``approve``: the one payment the person
  must approve (order, merchant, cart digest, amount, delegation). The same cart paid at L1
  with the person's approval of it then passes: at L1 a step-up is satisfied (``rules``).

Logging: a decision on which at least one rule fired (allow included) is one
``act:commerce:decision-logged`` record signed by the PSP (stage ``risk``), staged in the
outbox in its own short transaction and tried at once (the relay retries); the chain names
the intent and delegation, the body the order, merchant, amount, level, outcome and rules. A
decision on which no rule fired is not logged on its own: the payment's
``transaction-completed`` record already says it was allowed, and logging every quiet
decision would double the log's volume for nothing. Refusals are also kept as idempotent
answers, like every refusal.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from trustcart.core.ids import RandomBytes
from trustcart.crypto.keys import SigningKey
from trustcart.delivery.staging import stage_record
from trustcart.payments.errors import PaymentProblem, PaymentRefused
from trustcart.payments.payment_admission import CheckedPayment
from trustcart.payments.risk.codes import RiskOutcome
from trustcart.payments.risk.config import RiskConfig
from trustcart.payments.risk.features import PaymentFacts
from trustcart.payments.risk.history import read_history
from trustcart.payments.risk.rules import RiskDecision, assess
from trustcart.store.db import Database
from trustcart.trust.events import Chain, EventType, Participant

RISK_STAGE = "risk"
_logger = logging.getLogger(__name__)


def payment_facts(checked: CheckedPayment, now: datetime) -> PaymentFacts:
    """The admitted payment as the rules see it."""
    return PaymentFacts(
        agent_id=checked.iac.agent_id,
        delegation_id=checked.iac.delegation_id,
        account_id=checked.account.account_id,
        merchant_id=checked.cart.merchant_id,
        out_trade_no=checked.cart.out_trade_no,
        amount=checked.cart.total,
        level=checked.mode,
        at=now,
    )


def decision_body(facts: PaymentFacts, decision: RiskDecision) -> dict[str, Any]:
    """The ``decision-logged`` body of a risk decision (ids, codes and amounts only)."""
    return {
        "stage": RISK_STAGE,
        "out_trade_no": facts.out_trade_no,
        "merchant_id": facts.merchant_id,
        "amount": facts.amount.to_json(),
        "mode": facts.level.value,
        **decision.to_json(),
    }


def refusal_for(facts: PaymentFacts, decision: RiskDecision, cart_digest: str) -> PaymentRefused:
    """The refusal of a decision that is not ``allow``."""
    rules = list(decision.fired)
    if decision.outcome is RiskOutcome.REFUSE:
        return PaymentRefused(
            PaymentProblem.RISK_REFUSED, "the payment provider's risk rules refuse it", rules=rules
        )
    return PaymentRefused(
        PaymentProblem.RISK_STEP_UP_REQUIRED,
        "the person must approve this one payment (pay it at L1 with their approval)",
        rules=rules,
        approve={
            "out_trade_no": facts.out_trade_no,
            "merchant_id": facts.merchant_id,
            "cart_digest": cart_digest,
            "amount": facts.amount.to_json(),
            "delegation_id": facts.delegation_id,
        },
    )


class RiskGate:
    """The risk rules of one PSP: its store, configuration and the key it logs with.

    ``record_events``: stage decision-logged records (off when the PSP runs without a log);
    ``deliver``: tries staged messages at once (the provider's relay).
    """

    def __init__(
        self,
        db: Database,
        config: RiskConfig,
        *,
        psp_id: str,
        signing_key: SigningKey,
        record_events: bool,
        deliver: Callable[[Sequence[str]], None],
        random_bytes: RandomBytes = secrets.token_bytes,
    ) -> None:
        self._db = db
        self.config = config
        self._psp_id = psp_id
        self._key = signing_key
        self._record_events = record_events
        self._deliver = deliver
        self._random = random_bytes

    def decide(self, checked: CheckedPayment, now: datetime) -> RiskDecision:
        """The decision on ``checked`` at ``now`` (reads the store, writes nothing)."""
        facts = payment_facts(checked, now)
        with self._db.read() as session:
            history = read_history(session, facts, self.config)
        return assess(facts, history, self.config)

    def screen(self, checked: CheckedPayment, now: datetime) -> None:
        """Decide, log (see module doc), and raise ``PaymentRefused`` unless allowed."""
        facts = payment_facts(checked, now)
        decision = self.decide(checked, now)
        if decision.hits:
            self._log(checked, facts, decision, now)
        if decision.outcome is not RiskOutcome.ALLOW:
            raise refusal_for(facts, decision, checked.cart.digest)

    def _log(
        self, checked: CheckedPayment, facts: PaymentFacts, decision: RiskDecision, now: datetime
    ) -> None:
        body = decision_body(facts, decision)
        _logger.info("risk decision %s on %s: %s", decision.outcome, facts.out_trade_no, body)
        if not self._record_events:
            return
        with self._db.transaction() as session:
            message_id = stage_record(
                session,
                sender=self._psp_id,
                event_type=EventType.DECISION_LOGGED,
                chain=Chain(
                    intent_id=checked.iac.intent_id, delegation_id=checked.iac.delegation_id
                ),
                participants=[Participant("psp", self._psp_id, self._key.kid)],
                body=body,
                key=self._key,
                now=now,
                random_bytes=self._random,
                subject=facts.out_trade_no,
                first_try=now,
            )
        self._deliver([message_id])
