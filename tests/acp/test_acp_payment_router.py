"""``commerce.acp.payment.AcpPaymentRouter``: a session bound to an IAC is never paid by the vault.

A property over every token and session: with an IAC the vault is never asked; a vault token is
declined (``act-token-required``) without asking either gateway; anything else goes to the ACT
gateway. Without an IAC the vault alone is asked. The decline code is documented.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from trustcart.commerce.acp.payment import (
    ACT_TOKEN_REQUIRED,
    VAULT_TOKEN_PREFIX,
    AcpPaymentRouter,
)
from trustcart.commerce.checkout_payment import ChargeRequest, ChargeResult
from trustcart.core.money import Money
from trustcart.payments.vault import TOKEN_PREFIX

DOC = (Path(__file__).resolve().parents[2] / "docs" / "errors.md").read_text(encoding="utf-8")


class Recording:
    def __init__(self, name: str) -> None:
        self.name = name
        self.asked: list[ChargeRequest] = []

    def charge(self, request: ChargeRequest) -> ChargeResult:
        self.asked.append(request)
        return ChargeResult(approved=True, trade_no=self.name, receipt=self.name)


def _request(token: str, iac: str | None) -> ChargeRequest:
    return ChargeRequest(
        token=token,
        merchant_id="m_tea",
        checkout_session_id="cs_1",
        out_trade_no="ord_1",
        amount=Money(1800, "CNY"),
        idempotency_key="checkout:cs_1:ord_1",
        cart="cart.jws" if iac else None,
        iac=iac,
    )


@given(token=st.text(min_size=1, max_size=40), iac=st.one_of(st.none(), st.just("iac.jws")))
def test_the_vault_is_asked_only_without_an_iac(token: str, iac: str | None) -> None:
    vault, act = Recording("vault"), Recording("act")
    result = AcpPaymentRouter(vault, act).charge(_request(token, iac))
    if iac is None:
        assert (len(vault.asked), len(act.asked), result.trade_no) == (1, 0, "vault")
    elif token.startswith(TOKEN_PREFIX):
        assert (vault.asked, act.asked) == ([], [])
        assert (result.approved, result.decline_code) == (False, ACT_TOKEN_REQUIRED)
    else:
        assert (len(vault.asked), len(act.asked), result.trade_no) == (0, 1, "act")


def test_a_vault_token_for_an_iac_bound_session_is_declined() -> None:
    vault, act = Recording("vault"), Recording("act")
    result = AcpPaymentRouter(vault, act).charge(_request(TOKEN_PREFIX + "A" * 43, "iac.jws"))
    assert not result.approved
    assert result.decline_code == ACT_TOKEN_REQUIRED
    assert vault.asked == []
    assert act.asked == []


def test_the_router_knows_the_vault_s_token_prefix() -> None:
    assert VAULT_TOKEN_PREFIX == TOKEN_PREFIX


def test_the_decline_code_is_documented() -> None:
    assert f"`{ACT_TOKEN_REQUIRED}`" in DOC
