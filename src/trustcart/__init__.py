"""trustcart: an open agentic-commerce stack (shopping assistant + ACT 2.1 trust layer).

Packages follow the ACT 2.1 domains (docs/architecture.md has the map and the import rules):

    core        money, ids, clock, geo, categories, problem+json errors  (pure)
    crypto      keys/JWK, JWS, JCS, RFC 9421 HTTP signatures              (ASL)
    delegation  ISR, IAC, lifecycle, constraints, status                  (ADD-*)
    commerce    catalog, merchant service, cart confirmation, orders      (CID-*)
    payments    ledger, tokens, budgets, payment provider                 (PSD-*)
    trust       attestation events, transparency log, evidence            (TSD-*)
    search      the catalog search engine: index protocol, back ends, one entry point
    assistant   the agent side: intent, planner, tools, wallet, buyer agent
    tryon       virtual try-on
    store       SQLAlchemy engine, tables and migrations
    conformance the peers' vectors run against trustcart
    local       the composition root for one machine (deployment, demo, seed)
    bench       benchmarks and evaluations
    api, cli, mcp   thin shells
"""

__version__ = "0.1.0"
