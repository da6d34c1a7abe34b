"""x402 v2 (scheme ``exact``) on trustcart's paid resources, settled on trustcart's ledger.

    codec         PAYMENT-REQUIRED / PAYMENT-SIGNATURE / PAYMENT-RESPONSE, strict, pure
    errors        the exception tree and the ``x402-*`` reasons
    typed_data    the EIP-712 message of an EIP-3009 authorization, and the signer check
    facilitator   the facilitator role over trustcart's ledger (verify, settle)
    seller        the seller's side: requirements, verification, delivery, same engine as A402

No blockchain is involved: the facilitator checks the EIP-3009 signature exactly as a token
contract would (EIP-712 over the same domain and message) and then moves money between
trustcart ledger accounts. See docs/interop.md (x402).
"""
