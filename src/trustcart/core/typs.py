"""The JWS ``typ`` of every signed object trustcart exchanges (docs/wire-formats.md).

Verifiers check ``typ`` so one kind of signed object can never pass for another; keeping the
names in one place keeps signer and verifier in step.
"""

IAC_TYP = "act-iac+jwt"
STATUS_TYP = "act-iac-status+jwt"
TRANSITION_TYP = "act-iac-transition+jwt"
REGISTRATION_TYP = "act-iac-registration+jwt"
CART_TYP = "act-cart+jwt"
APPROVAL_TYP = "act-payment-approval+jwt"
BINDING_TYP = "act-payment-binding+jwt"
RECEIPT_TYP = "act-payment-receipt+jwt"
ATTESTATION_TYP = "act-attestation+jwt"
STH_TYP = "act-sth+jwt"
A402_PROOF_TYP = "act-a402-proof+jwt"
BASKET_APPROVAL_TYP = "act-basket-approval+jwt"
ANCHOR_TYP = "act-anchor+jwt"
ANCHOR_RECEIPT_TYP = "act-anchor-receipt+jwt"
