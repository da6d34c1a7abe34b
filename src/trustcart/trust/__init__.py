"""ACT Trust Services (TSD): keys, the tamper-evident record and offline evidence.

directory      which key belongs to which party and role (agents, merchants, PSP, log)
merkle         RFC 9162 §2.1 Merkle tree hashes, inclusion and consistency proofs (pure)
frontier       a Merkle tree kept as its frontier: O(log n) appends and roots (pure)
treehead       signed tree heads (JWS ``act-sth+jwt``) over a log's root (pure)
events         attestation records TSD-ATT-EVT/OFF: the ten ``act:<domain>:<event>``
               types, salted payload hash, JWS ``act-attestation+jwt`` (pure)
admission      what the log admits: who may report which event, with which ids, when (pure)
log            the append-only transparency log on the database (TSD-ATT-OCA's role,
               off-chain): leaves, signed tree heads, proofs
attestations   ``AttestationService``: builds, admits, signs and anchors event records
admission      which party may log which event, with which ids, within which clock window
anchors        trust anchors: each key bound to its party, roles and validity
frontier       the Merkle frontier: tree heads computed incrementally
anchors        trust anchors: each key bound to its party, roles and validity
evidence       ``trustcart-evidence/1`` bundles: build, and verify offline (TSD-ATT-SVF)
bundle_format  what a bundle holds; strict field readers for the checks
bundle_checks  the verification checks ``evidence.verify_bundle`` runs, in order; with
               bundle_state, bundle_purchase_checks, bundle_log_checks, bundle_anchors
bundle_anchors the checks that tie a bundle's keys and events to parties
errors         the exception tree of this package
credit         TSD-CRD credit association, reference-v1 (a subpackage; see its docstring)
"""
