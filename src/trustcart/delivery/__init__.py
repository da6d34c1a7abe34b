"""Delivery of what a party owes another: the transactional outbox and its relay.

A fact and the messages that report it commit together: the payment with its
``transaction-completed`` record and the merchant's notice, the confirmed order with its
``cart-confirmed``, the lifecycle change with its event. A relay then delivers them, at least
once, with retries and exponential backoff with jitter, and keeps all its state in the
database, so a crash between the commit and the delivery loses nothing (docs/reliability.md).

errors      the exception tree of this package
messages    ``OutboxMessage``, its states and their transition table, ``Outcome`` (pure)
backoff     the retry schedule: exponential, capped, with equal jitter (pure)
relay_step  which messages are due, claiming one, settling one attempt (pure)
outbox      the outbox on the database: stage in the caller's transaction, claim, save, count
staging     build (and sign) a record or a notice and stage it; ``EventOutbox``
transports  the ``Transport`` protocol; the log's, in process and over HTTP
relay       ``OutboxRelay``: a pass over the due messages; the writer's first try
"""
