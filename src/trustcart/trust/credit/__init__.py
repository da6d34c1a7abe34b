"""ACT 2.1 TSD-CRD, credit association, in the reference-v1 profile (Ed25519, JCS).

An Agent without enough credit of its own may point at the credit of a subject it is verifiably
associated with (developer, operator, controller, ...), for a stated purpose and scope, marked
``ASSOCIATED_CREDIT``: a risk reference, never the Agent's own credit, never wider than an IAC.

values         shared value objects and codes (mapping policy, anti-replay, proof, ...)
schemas        the pinned reference-v1 JSON Schemas; every object is checked against them
signing        detached Ed25519 proofs over JCS projections; the key ring (who owns which key)
application    the association application (TSD-CRD-ASC, the PENDING stage)
credential     the association credential: ATTESTED_CONFIRMATION and DIRECT_SIGNATURE
lifecycle      credential status transition table and signed status records (TSD-CRD-LCM)
authorization  credit-query authorization, per request or platform-delegated (TSD-CRD-AUTH)
window         the platform proxy's frequency limit, a pure sliding-window counter
assertions     subject and Agent credit assertions (TSD-CRD-MAP)
messages       verification request and response; minimal disclosure (TSD-CRD-VER)
registry       what a verifier looks up (port, and an in-memory registry)
verifier       both verification levels as one pure function; reason codes in ``reasons``
limits         associated credit never widens an IAC
errors         the exception tree of this package
"""
