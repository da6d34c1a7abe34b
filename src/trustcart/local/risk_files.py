"""The risk rules of a load run: every rule evaluated, the velocity rules unable to trip.

A benchmark or a load test sends one agent's payments as fast as the installation takes them;
the default velocity limits (docs/risk.md: 10 a minute per agent, 5 per delegation) would refuse
all but the first few, which is what they are for and not what a load run measures. So a load
run writes ``risk.toml`` into its own throwaway ``$TRUSTCART_HOME`` with the velocity limits
raised out of reach: every rule still runs on every payment (its history reads and its cost are
in the figures), the worker processes read the same file, and nothing outside that home changes.
"""

from __future__ import annotations

from pathlib import Path

from trustcart.payments.errors import RiskConfigError
from trustcart.payments.risk.config import CONFIG_FILE, load_risk_config

LOAD_RUN_LIMIT = 1_000_000_000  # payments a minute: never reached by a load run

LOAD_RUN_TOML = f"""# Written by a trustcart load run (local.risk_files): velocity out of reach.
[velocity]
max_per_agent = {LOAD_RUN_LIMIT}
max_per_delegation = {LOAD_RUN_LIMIT}
"""


def write_load_run_risk_config(home: Path) -> Path:
    """Write the load run's ``risk.toml`` into ``home`` (checked by reading it back)."""
    path = home / CONFIG_FILE
    path.write_text(LOAD_RUN_TOML, encoding="utf-8")
    if load_risk_config(home).max_per_agent != LOAD_RUN_LIMIT:  # read back as the PSP will
        raise RiskConfigError(f"{path} was not read back as written")
    return path
