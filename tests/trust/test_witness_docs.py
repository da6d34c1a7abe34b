"""The witness's refusal codes and TSD-ATT-SVF's results are documented, with their statuses."""

from __future__ import annotations

import pytest

from tests.helpers.error_docs import DOC, statuses
from trustcart.api.witness import STATUS
from trustcart.trust.svf import SvfResult
from trustcart.trust.witness import WitnessRefusal

TEXT = DOC.read_text(encoding="utf-8")


@pytest.mark.parametrize("code", list(WitnessRefusal))
def test_every_witness_code_is_documented(code: WitnessRefusal) -> None:
    assert statuses("Witness", code.value), code


@pytest.mark.parametrize(("code", "status"), list(STATUS.items()))
def test_the_http_status_of_each_refusal_is_the_documented_one(
    code: WitnessRefusal, status: int
) -> None:
    assert status in statuses("Witness", code.value)


@pytest.mark.parametrize("result", list(SvfResult))
def test_every_svf_result_is_documented(result: SvfResult) -> None:
    assert f"| `{result.value}` |" in TEXT
