"""The key directory fails closed: unknown, revoked, out-of-window and wrong-role keys."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.helpers.clock import T0
from trustcart.core.errors import ValidationError
from trustcart.crypto.keys import SigningKey, keys_from_jwks
from trustcart.trust.directory import DirectoryEntry, InMemoryKeyDirectory, usable_key

AGENT = "agent:trustcart-assistant"


@pytest.fixture
def directory() -> InMemoryKeyDirectory:
    return InMemoryKeyDirectory()


def test_register_and_resolve(directory: InMemoryKeyDirectory) -> None:
    key = SigningKey.generate()
    entry = directory.register(key.public, party_id=AGENT, role="agent")
    assert directory.resolve(key.kid) == entry
    assert entry.kid == key.kid
    assert usable_key(directory, key.kid, T0, roles={"agent"}) == entry


def test_unknown_key_resolves_to_nothing(directory: InMemoryKeyDirectory) -> None:
    assert directory.resolve("nope") is None
    assert usable_key(directory, "nope", T0) is None
    assert usable_key(directory, "", T0) is None


def test_revoked_key_is_never_usable_and_cannot_return(directory: InMemoryKeyDirectory) -> None:
    key = SigningKey.generate("ES256")
    directory.register(key.public, party_id=AGENT, role="agent")
    revoked = directory.revoke(key.kid)
    assert revoked.revoked
    assert directory.resolve(key.kid) == revoked  # callers can see why
    assert usable_key(directory, key.kid, T0) is None
    with pytest.raises(ValidationError, match="revoked"):
        directory.register(key.public, party_id=AGENT, role="agent")


def test_revoking_an_unknown_key_is_an_error(directory: InMemoryKeyDirectory) -> None:
    with pytest.raises(ValidationError):
        directory.revoke("nope")


def test_a_key_belongs_to_one_party_and_role(directory: InMemoryKeyDirectory) -> None:
    key = SigningKey.generate()
    directory.register(key.public, party_id=AGENT, role="agent")
    directory.register(key.public, party_id=AGENT, role="agent")  # idempotent
    with pytest.raises(ValidationError):
        directory.register(key.public, party_id="merchant:m1", role="merchant")
    with pytest.raises(ValidationError):
        directory.register(key.public, party_id=AGENT, role="psp")


def test_role_filter(directory: InMemoryKeyDirectory) -> None:
    key = SigningKey.generate()
    directory.register(key.public, party_id="merchant:m1", role="merchant")
    assert usable_key(directory, key.kid, T0, roles={"agent"}) is None
    assert usable_key(directory, key.kid, T0, roles={"merchant", "psp"}) is not None


def test_validity_window(directory: InMemoryKeyDirectory) -> None:
    key = SigningKey.generate()
    directory.register(
        key.public,
        party_id=AGENT,
        role="agent",
        not_before=T0,
        not_after=T0 + timedelta(days=1),
    )
    assert usable_key(directory, key.kid, T0 - timedelta(seconds=1)) is None
    assert usable_key(directory, key.kid, T0) is not None
    assert usable_key(directory, key.kid, T0 + timedelta(days=1) - timedelta(seconds=1)) is not None
    assert usable_key(directory, key.kid, T0 + timedelta(days=1)) is None


def test_jwks_for_publishes_only_the_partys_live_keys(directory: InMemoryKeyDirectory) -> None:
    live, gone, other = SigningKey.generate(), SigningKey.generate("ES256"), SigningKey.generate()
    directory.register(live.public, party_id=AGENT, role="agent")
    directory.register(gone.public, party_id=AGENT, role="agent")
    directory.register(other.public, party_id="merchant:m1", role="merchant")
    directory.revoke(gone.kid)
    published = keys_from_jwks(directory.jwks_for(AGENT))
    assert set(published) == {live.kid}
    assert directory.jwks_for("nobody") == {"keys": []}


@pytest.mark.parametrize(
    "changes",
    [
        {"party_id": ""},
        {"party_id": "   "},
        {"role": "admin"},
        {"not_before": datetime(2026, 1, 1)},
        {"not_before": T0, "not_after": T0},
        {"not_before": T0, "not_after": T0 - timedelta(seconds=1)},
    ],
)
def test_entries_validate_when_built(changes: dict[str, object]) -> None:
    fields: dict[str, object] = {
        "party_id": AGENT,
        "role": "agent",
        "public_key": SigningKey.generate().public,
    }
    fields.update(changes)
    with pytest.raises(ValidationError):
        DirectoryEntry(**fields)  # type: ignore[arg-type]
