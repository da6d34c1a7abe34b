"""Risk rules at the payment provider: pure rules with stable reason codes (docs/risk.md).

    config    the deployment's thresholds (``$TRUSTCART_HOME/risk.toml``), validated when read
    features  the payment as the rules see it and the history summary they judge it against
    rules     one pure function per rule; ``assess`` combines them (the most severe outcome)
    history   the shell: the history summary read from the PSP's store (indexed queries)
    gate      the shell: the hook before the ledger transaction; logs ``decision-logged``
    replay    a seeded day of traffic with injected anomalies: precision and recall per rule

Errors: ``RiskConfigError`` (``payments.errors``) for a bad configuration; a decision that is not
``allow`` is a ``PaymentRefused`` with ``risk-refused`` or ``risk-step-up-required``.
"""
