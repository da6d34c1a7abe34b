"""AP2 v0.2 mandates (google-agentic-commerce/AP2 v0.2.0) read, checked and issued.

A pure codec shared by both sides of the protocol: trustcart's wallet issues mandates
(``trustcart.assistant.ap2_wallet``) and the PSP accepts them (``trustcart.payments.ap2``).

    schemas    the pinned v0.2.0 JSON Schemas, read from the conformance folder
    sdjwt      SD-JWT + key binding (RFC 9901) over the ``sd-jwt`` library, time passed in
    mandates   closed and open checkout / payment mandates as frozen values
    iac_fit    a mandate mapped onto an IAC's constraints: it may narrow, never widen
    open_mandates  open payment mandates' constraints, against a closed mandate and the IAC
    open_checkout  open checkout mandates' constraints, against the cart and the IAC
    dsdjwt     delegate SD-JWT chains: an open mandate ~~ the agent's closed one
    errors     ``MandateRefused`` and its stable ``AP2Refusal`` codes
    ucp_codes  those codes in the words of UCP's AP2 extension (``mandate_expired`` ...)
"""
