"""The agent side: it turns words into an intent, and shops only through the protocols.

    intent    deterministic intent parsing (English and Chinese) into an ISR draft
    wallet    the person's wallet: holds their key, signs IACs, approvals, bindings, revocations
    agent     the buyer agent: signed HTTP to merchants and the payment provider, pre-checks
    evidence  collects what a purchase produced into an evidence bundle

The assistant never imports a merchant's or the payment provider's storage: even when every
role runs in one process, it talks to them over (signed) HTTP.
"""
