"""Payment services (ACT PSD): restricted tokens, L1/L2 payments, ledger, budgets, receipts.

errors        exception tree and the stable ``PaymentProblem`` codes
ledger        pure double-entry core: postings, balanced journal entries
ledger_store  post entries in the caller's transaction, balances, invariant check
accounts      user wallets and the delegator key registered for them
tokens        restricted payment tokens (PSD-PMT-BND), stored as SHA-256 hashes
binding       the delegator's binding request -> a token (PSD-PMT-BND)
budget        per-delegation cumulative spend, written only by PSP successes
idempotency   Stripe-style idempotency keys
modes         the agent's payment request (L1 instant, L2 delegated)
checks        pure checks: cart, approval, binding request, status, constraints
levels        which payment levels an IAC allows (a SPECIFIED IAC pays only in L1)
holds         a payment on a cached status is held, never paid (``payment-held``)
receipts      PSP-signed payment receipts
refunds       reversing entries, never more than paid
notices       payment notices to merchants (outbox + notifier)
outcomes      ``PaymentOutcome``: an answer decided once per idempotency key, then replayed
payment_admission  phase 1 of a payment: every check that needs no write
payment_commit     phase 2 of a payment: the one transaction that commits it, then its event
payment_view  a payment as shown, to its agent or its merchant only
provider      the ``PaymentProvider`` service that ties them together
"""
