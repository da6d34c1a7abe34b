"""The EIP-712 message an x402 ``exact`` payer signs, and who signed it.

x402's ``exact`` scheme on EVM uses EIP-3009 ``TransferWithAuthorization``: the payer signs,
with EIP-712, the domain ``{name, version, chainId, verifyingContract}`` (token name and
version from the requirements' ``extra``, the chain from ``network``, the contract = ``asset``)
and the message ``{from, to, value, validAfter, validBefore, nonce}``. A token contract
recovers the signer from that signature and requires it to be ``from``; the facilitator here
does exactly the same, off chain.

``SignatureRecoverer`` is the seam: ``EthAccountRecoverer`` (eth-account, secp256k1 recovery
over the EIP-712 digest) is the real one; it is imported only when used, so trustcart without
the ``x402`` extra still imports.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any, Protocol

from trustcart.crypto.errors import InvalidSignature
from trustcart.payments.x402.codec import ExactAuthorization, ExactRequirements

EIP712_TYPES: dict[str, list[dict[str, str]]] = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ],
    "TransferWithAuthorization": [
        {"name": "from", "type": "address"},
        {"name": "to", "type": "address"},
        {"name": "value", "type": "uint256"},
        {"name": "validAfter", "type": "uint256"},
        {"name": "validBefore", "type": "uint256"},
        {"name": "nonce", "type": "bytes32"},
    ],
}


def transfer_typed_data(
    requirements: ExactRequirements, authorization: ExactAuthorization
) -> dict[str, Any]:
    """The full EIP-712 document of an authorization under ``requirements``' domain."""
    return {
        "types": EIP712_TYPES,
        "primaryType": "TransferWithAuthorization",
        "domain": {
            "name": str(requirements.extra["name"]),
            "version": str(requirements.extra["version"]),
            "chainId": requirements.chain_id,
            "verifyingContract": requirements.asset,
        },
        "message": {
            "from": authorization.payer,
            "to": authorization.to,
            "value": authorization.value,
            "validAfter": authorization.valid_after,
            "validBefore": authorization.valid_before,
            "nonce": bytes.fromhex(authorization.nonce.removeprefix("0x")),
        },
    }


class SignatureRecoverer(Protocol):
    def recover(self, typed_data: Mapping[str, Any], signature: str) -> str:
        """The lower-case address that signed ``typed_data``, or ``InvalidSignature``."""
        ...


class EthAccountRecoverer:
    """secp256k1 recovery with eth-account (the ``x402`` extra)."""

    def recover(self, typed_data: Mapping[str, Any], signature: str) -> str:
        limit = sys.getrecursionlimit()
        try:
            from eth_account import Account
            from eth_account.messages import encode_typed_data
        finally:
            # py_ecc (under eth-account) raises the interpreter's recursion limit to 100,000
            # when first imported; a deep recursion anywhere in the process would then overflow
            # the C stack (a crash) instead of raising RecursionError. Put the limit back.
            sys.setrecursionlimit(limit)
        try:
            signable = encode_typed_data(full_message=dict(typed_data))
            address = Account.recover_message(signable, signature=bytes.fromhex(signature[2:]))
        except Exception as e:  # any malformed signature is one opaque failure
            raise InvalidSignature from e
        return str(address).lower()
