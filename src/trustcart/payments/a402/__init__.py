"""ACT 2.1 A402 (PSD-PAY-A402): HTTP 402 pay-per-call, as a pure core.

    codes        the ACT-A402 error catalog and trustcart's precise reasons
    body         the error body (error.schema.json) built from the catalog
    errors       exception tree (every error carries its ACT-A402 code)
    json_values  read-only JSON for method extension fields
    wire         strict unpadded-Base64URL JSON header values (shared with x402 v2)
    model        the neutral messages: PaymentRequirement, PaymentProof, PaymentValidation
    states       the six transaction states as a transition table
    codec        the A402 codec: Payment-Needed, Payment-Proof, Payment-Validation
    signing      the seller's signature on Payment-Needed
    credential   the PSP's signed payment credential (trustcart's payment method)
    validation   the seller's proof validation rules, one pure function
    gate         the seller's decision for a request: 402 challenge or access granted
    manifest     workflow binding manifests (what a binding covers)

Nothing here does I/O or reads the clock: time, keys and the replay set are arguments. The
package imports only ``trustcart.core`` and ``trustcart.crypto``, so the seller, the PSP and the
buyer agent can all use it. The HTTP wiring (a protected resource, the PSP validating proofs,
the buyer's auth flow) is built on it elsewhere. See docs/a402.md.
"""
