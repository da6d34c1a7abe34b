"""Insights: what agents bring a merchant, read from the ledger and the transparency log.

    roi       pure: ledger payments and refunds plus log facts -> figures by day (GMV, orders,
              average order, refunds, the intent funnel, refusals by code, compute per order)
    sources   reads those facts from the store (ledger entries, attestation records)

Imports ``core``, ``crypto``, ``store``, ``payments`` (the ledger's vocabulary) and ``trust``
(event types); the shells (``trustcart roi``, the web console) only call ``load_roi``.
"""
