"""The agent side: it turns words into an intent, and shops only through the protocols.

    lexicon, intent_words, intent, questions   deterministic intent structuring (EN + 中文)
    planner        candidates -> 1..3 options with reasons, every stated cap kept (pure)
    checks         a proposal and a confirmed cart against the ISR and the IAC (pure)
    tools          ShoppingTools: search, compare, propose, approve, pay, status, revoke
    conversation   the chat state machine over the tools
    session        the default store on loopback, for chat, mcp and the evaluation
    evaluation     the 150+ case suite and the WANDS robustness set
    llm            optional OpenAI-compatible back end, acting only through the tools
    wallet         the person's wallet: their key signs IACs, approvals, bindings, revocations
    agent          the buyer agent: signed HTTP to merchants and the payment provider, pre-checks

The assistant never imports a merchant's or the payment provider's storage: even when every
role runs in one process, it talks to them over (signed) HTTP.
"""
