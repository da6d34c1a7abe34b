"""ACT Authorization & Delegation (ADD-INT-ICS, ADD-IAC-ISS, ADD-IAC-LCM).

isr          the intent structuring result (ISR) and its digest
iac          the intent authorization credential (IAC): issue and verify (JWS over JCS)
constraints  pure evaluation of a purchase against an IAC, with stable reason codes
lifecycle    Active / Suspended / Revoked / Expired as a transition table
status       signed status attestations and the checker verifiers call at every hop
registration registering an IAC: the delegator's directory key and a fresh proof of possession
service      the status service (ADD-IAC-LCM) over the database
"""
