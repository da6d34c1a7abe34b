"""Exception tree of ``trustcart.trust``.

    TrustcartError
    └── TrustError
        ├── InvalidProof          a Merkle inclusion or consistency proof does not verify
        ├── InvalidRecord         an attestation record is malformed, or its hash or salt is wrong
        │   └── PersonalDataError an event body carries personal data (names, contacts, accounts)
        ├── InvalidTreeHead       a signed tree head is malformed
        ├── LogError              the transparency log refused an operation
        │   ├── DuplicateRecord   another record holds this id (anchors are never overwritten)
        │   ├── RecordRefused     the log's admission rule refused a record (``code`` says why)
        │   └── ProofRangeError   a proof was asked for sizes or indexes the log does not have
        ├── BundleFileError       an evidence file cannot be read or is not JSON
        │   └── AnchorsError      a trust-anchors file is not a usable anchors document
        └── WitnessError          the witness refused or could not take an anchor (``code``)
            └── AnchorConflict    another anchor already holds this anchor id

Signature failures stay ``trustcart.crypto.errors.InvalidSignature`` (opaque on purpose).
Bundle verification never raises for a bad bundle: it returns a report whose failed checks
carry the reason.
"""

from trustcart.core.errors import TrustcartError


class TrustError(TrustcartError):
    """Base of trust-services errors."""


class InvalidProof(TrustError):
    """A Merkle proof did not verify."""


class InvalidRecord(TrustError):
    """An attestation record is malformed or its payload hash does not match."""


class PersonalDataError(InvalidRecord):
    """An event body carries personal data, which ACT forbids in attestation records."""


class InvalidTreeHead(TrustError):
    """A signed tree head payload is malformed."""


class LogError(TrustError):
    """The transparency log refused an operation."""


class DuplicateRecord(LogError):
    """A record with this id is already in the log; ``leaf_index`` says where."""

    def __init__(self, record_id: str, leaf_index: int) -> None:
        self.record_id = record_id
        self.leaf_index = leaf_index
        super().__init__(f"record {record_id} is already anchored at leaf {leaf_index}")


class RecordRefused(LogError):
    """The log's admission rule refused a record; ``code`` is a stable ``RecordRefusal``."""

    def __init__(self, code: str, detail: str) -> None:
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {detail}")


class ProofRangeError(LogError):
    """A proof was asked for an index or tree size outside what the log holds."""


class BundleFileError(TrustError):
    """An evidence bundle file cannot be read or does not hold JSON."""


class AnchorsError(BundleFileError):
    """A trust-anchors file cannot be used: unreadable, not JSON, or keys without party and role."""


class WitnessError(TrustError):
    """The witness (``trust.witness``) refused an anchor; ``code`` is a stable error code."""

    def __init__(self, code: str, detail: str) -> None:
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {detail}")


class AnchorConflict(WitnessError):
    """Another anchor holds this anchor id: anchors are never overwritten."""
