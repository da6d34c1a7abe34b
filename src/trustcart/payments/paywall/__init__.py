"""Pay-per-call for trustcart's own HTTP resources: one engine, two wire protocols.

    resources   the paid resources a seller offers (id, price, category)
    calls       the seller's store: requirements issued, the six-state table, replay keys
    seller      the A402 seller: Payment-Needed, proof validation with the PSP, delivery
    issuer      the PSP side of A402: a signed credential for a payment it really made
    psp_lookup  the seller's signed query of a trade at the PSP over HTTP

The x402 v2 protocol (``trustcart.payments.x402``) reuses ``resources`` and ``calls``: the same
resources, the same transaction states and the same replay store answer both. The pure rules
live in ``trustcart.payments.a402``; this package adds the database and the clock. See
docs/a402.md.
"""
