"""The agent side: it turns words into an intent, and shops only through the protocols.

lexicon, intent_words, intent, questions   deterministic intent structuring (EN + 中文)
context        the CID-INT-XFR intent context for one asked item (pure)
offers         frozen values: Offer, ConfirmedCart, Receipt
planner        offers -> 1..3 options with reasons, every stated cap kept (pure)
checks         a proposal and a confirmed cart against the ISR and the IAC (pure)
proposals      proposals (a transition table), delegations, purchases, approval requests
tools          ShoppingTools: search, compare, propose, approve, pay, status, revoke
conversation   the chat state machine over the tools
dialogue       its transition table, the state it saves (snapshot), turns
followups      reading follow-ups (ordinals, compare, refinements, records, help) (pure)
answers        answers to open questions and picks among options (pure)
refinements    "make it large", "cheaper", "换一家" applied to the standing request (pure)
shortfall      why nothing fits, with figures (pure)
replies, refusal_words   what the assistant says, in English and 中文
memory         the person's memory: a Protocol and an in-process implementation
records, records_talk    the person's delegations and purchases, kept and reported
llm            optional OpenAI-compatible back end, acting only through the tools
wallet         the person's wallet: their key signs IACs, approvals, bindings, revocations
agent          the buyer agent: signed HTTP to merchants and the payment provider, pre-checks
errors         the exception tree and the tools' codes

The assistant never imports a merchant's or the payment provider's storage, nor the servers:
even when every role runs in one process, it talks to them over (signed) HTTP. The running
market it shops in is wired by ``trustcart.local.market``.
"""
