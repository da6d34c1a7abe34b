"""The risk configuration: documented defaults, a TOML file read and validated, and every
kind of bad file refused with a clear error (the PSP does not start on it)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from trustcart.core.money import Money
from trustcart.payments.errors import RiskConfigError
from trustcart.payments.risk.codes import RiskOutcome, RiskRule
from trustcart.payments.risk.config import (
    CONFIG_FILE,
    DEFAULT_OUTCOMES,
    RiskConfig,
    load_risk_config,
    parse_risk_config,
)
from trustcart.store.db import Database

DOCS = Path(__file__).resolve().parents[2] / "docs" / "risk.md"


def test_no_file_means_the_documented_defaults(tmp_path: Path) -> None:
    assert load_risk_config(tmp_path) == RiskConfig()
    assert RiskConfig().outcomes == DEFAULT_OUTCOMES
    assert set(DEFAULT_OUTCOMES) == set(RiskRule)


def test_a_file_overrides_what_it_names(tmp_path: Path) -> None:
    (tmp_path / CONFIG_FILE).write_text(
        """
[velocity]
window_seconds = 120
max_per_agent = 20
[usual_amount]
ratio = "7.5"
[new_agent]
large_amount = { CNY = "300.00", USD = "40.00" }
[refusal_streak]
window_minutes = 30
[outcomes]
new-merchant = "off"
refusal-streak = "refuse"
amount-above-usual = "allow"
""",
        encoding="utf-8",
    )
    config = load_risk_config(tmp_path)
    assert config.velocity_window == timedelta(seconds=120)
    assert (config.max_per_agent, config.max_per_delegation) == (20, 5)
    assert config.usual_ratio == Decimal("7.5")
    assert dict(config.large_amount) == {
        "CNY": Money.parse("300.00", "CNY"),
        "USD": Money.parse("40.00", "USD"),
    }
    assert config.refusal_window == timedelta(minutes=30)
    assert config.outcome(RiskRule.NEW_MERCHANT) is None
    assert config.outcome(RiskRule.REFUSAL_STREAK) is RiskOutcome.REFUSE
    assert config.outcome(RiskRule.AMOUNT_ABOVE_USUAL) is RiskOutcome.ALLOW
    assert config.outcome(RiskRule.VELOCITY_AGENT) is RiskOutcome.REFUSE  # default kept


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("[velocity]\nmax_per_agnet = 3\n", "unknown key velocity.max_per_agnet"),
        ("[velocty]\nmax_per_agent = 3\n", r"unknown section \[velocty\]"),
        ("[velocity]\nmax_per_agent = 0\n", "max_per_agent must be a positive integer"),
        ("[velocity]\nmax_per_agent = true\n", "velocity.max_per_agent must be an integer"),
        ("[velocity]\nwindow_seconds = -5\n", "window_seconds must be positive"),
        ("[usual_amount]\nratio = 7.5\n", "ratio must be a decimal string"),
        ('[usual_amount]\nratio = "1"\n', "ratio must be above 1"),
        ('[usual_amount]\nratio = "ten"\n', "ratio is not a decimal"),
        ('[usual_amount]\nratio = "NaN"\n', "ratio must be above 1"),
        ("[usual_amount]\nmin_history = 30\n", "min_history cannot exceed history_size"),
        ('[new_agent]\nlarge_amount = { CNY = "5.001" }\n', "large_amount"),
        ('[new_agent]\nlarge_amount = { CNY = "-5.00" }\n', "the CNY amount must be positive"),
        ('[new_agent]\nlarge_amount = { CNY = "0.00" }\n', "the CNY amount must be positive"),
        ('[new_agent]\nlarge_amount = { XXX = "5.00" }\n', "large_amount"),
        ("[new_agent]\nlarge_amount = { CNY = 500 }\n", "large_amount is a table"),
        ('[outcomes]\nvelocity-agent = "block"\n', "one of allow, step-up, refuse, off"),
        ('[outcomes]\nvelocity = "refuse"\n', "unknown rule outcomes.velocity"),
        ("velocity = 3\n", r"\[velocity\] must be a table"),
        ("[velocity\n", "not valid TOML"),
    ],
)
def test_a_bad_file_is_refused_naming_the_key(tmp_path: Path, text: str, match: str) -> None:
    (tmp_path / CONFIG_FILE).write_text(text, encoding="utf-8")
    with pytest.raises(RiskConfigError, match=match):
        load_risk_config(tmp_path)


def test_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / CONFIG_FILE).mkdir()  # a directory where the file should be
    with pytest.raises(RiskConfigError, match="cannot read"):
        load_risk_config(tmp_path)


def test_the_deployment_does_not_start_on_a_bad_file(tmp_path: Path, sqlite_db: Database) -> None:
    from trustcart.local.deployment import build
    from trustcart.local.servers import ROLE_NAMES, Endpoints

    (tmp_path / CONFIG_FILE).write_text("[outcomes]\nvelocity-agent = 1\n", encoding="utf-8")
    endpoints = Endpoints.on_ports(dict.fromkeys(ROLE_NAMES, 9))
    with pytest.raises(RiskConfigError, match=r"outcomes\.velocity-agent"):
        build(sqlite_db, tmp_path, endpoints)
    assert not (tmp_path / "keys.json").exists()  # refused before anything was set up


def test_the_docs_table_names_every_rule_and_default() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for rule, outcome in DEFAULT_OUTCOMES.items():
        assert f"| `{rule}` | {outcome} |" in text
    assert parse_risk_config({}) == RiskConfig()
