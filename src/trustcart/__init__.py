"""trustcart: an open agentic-commerce stack (shopping assistant + ACT 2.1 trust layer).

Packages follow the ACT 2.1 domains (see docs/architecture.md):

    core        money, ids, clock, problem+json errors          (pure)
    crypto      keys/JWK, JWS, JCS, RFC 9421 HTTP signatures     (ASL)
    delegation  ISR, IAC, lifecycle, constraints, status         (ADD-*)
    commerce    catalog, merchant service, cart confirmation     (CID-*)
    payments    ledger, tokens, budgets, payment provider        (PSD-*)
    trust       attestation events, transparency log, evidence   (TSD-*)
    assistant   the agent side: intent parsing, planner, client
    store       SQLAlchemy engine and tables
    api, cli    thin shells
"""

__version__ = "0.1.0"
