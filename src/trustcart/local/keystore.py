"""The demo's key file: every role's private key as a JWK in ``$TRUSTCART_HOME/keys.json``.

This is a development convenience, written with mode 0600. ACT asks that issuance keys never
sit in plaintext: a production deployment keeps each party's key in its own KMS or secure
element, and only public keys (JWKS) are shared. The file keeps the demo reproducible across
runs (the same store, the same keys) without any service to start.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from trustcart.crypto.keys import Algorithm, SigningKey


class KeyStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._keys: dict[str, SigningKey] = {}
        if path.exists():
            raw = json.loads(path.read_text(encoding="utf-8"))
            self._keys = {name: SigningKey.from_jwk(jwk) for name, jwk in raw.items()}

    def get(self, name: str, alg: Algorithm = "EdDSA") -> SigningKey:
        """The key called ``name``, generated (``alg``) and saved the first time it is asked for."""
        key = self._keys.get(name)
        if key is None:
            key = SigningKey.generate(alg)
            self._keys[name] = key
            self._save()
        return key

    def kid_of(self, name: str) -> str | None:
        """The kid of the key called ``name``, or None: unlike ``get``, never generates one."""
        key = self._keys.get(name)
        return key.kid if key is not None else None

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {name: key.to_private_jwk() for name, key in sorted(self._keys.items())}
        temporary = self.path.with_suffix(".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1)
        temporary.replace(self.path)
