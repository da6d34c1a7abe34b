"""The payment provider answers each code with the HTTP status docs/errors.md gives it.

``PAYMENT_PROBLEM_STATUS`` is the one table the PSP renders from, so comparing it with the
documentation checks every payment refusal's status at once (six disagreed before issue 10).
"""

from __future__ import annotations

import pytest

from tests.helpers.error_docs import PAYMENT_PROVIDER, documented, statuses
from trustcart.payments.errors import PAYMENT_PROBLEM_STATUS, PaymentProblem, PaymentRefused


@pytest.mark.parametrize("code", list(PaymentProblem))
def test_each_code_has_its_documented_status(code: PaymentProblem) -> None:
    assert PAYMENT_PROBLEM_STATUS[code] in statuses(PAYMENT_PROVIDER, code.value)
    assert PaymentRefused(code).status == PAYMENT_PROBLEM_STATUS[code]


def test_the_documentation_lists_no_code_the_provider_lacks() -> None:
    assert set(documented()[PAYMENT_PROVIDER]) == {code.value for code in PaymentProblem}
