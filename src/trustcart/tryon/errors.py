"""Exception tree of ``trustcart.tryon``.

    TrustcartError
    └── TryOnError                 carries a stable ``code`` (a ``TryOnProblem``) and an HTTP status
        ├── TryOnUnavailable       the optional extra (numpy, OpenCV) is not installed
        ├── ImageError             an image cannot be read: not PNG/JPEG/WebP, truncated, too big
        ├── PhotoError             the person photo cannot be used: no person, several people,
        │                          seen from behind, person too small
        ├── ProductImageError      the product image cannot be cut out or has no usable shape
        └── BackendError           a named back end is unknown, not available here, or failed

Every error names what the shopper can do about it in its message ("take a photo facing the
camera"), because the message is shown to them as the problem+json ``detail``.
"""

from __future__ import annotations

from enum import StrEnum

from trustcart.core.errors import TrustcartError


class TryOnProblem(StrEnum):
    """Stable problem codes of the try-on service (also the ``code`` of each ``TryOnError``)."""

    EXTRA_MISSING = "tryon-unavailable"
    IMAGE_UNREADABLE = "image-unreadable"
    IMAGE_TOO_LARGE = "image-too-large"
    IMAGE_TOO_SMALL = "image-too-small"
    NO_PERSON = "no-person"
    SEVERAL_PEOPLE = "several-people"
    SEEN_FROM_BEHIND = "seen-from-behind"
    PERSON_TOO_SMALL = "person-too-small"
    PRODUCT_UNUSABLE = "product-unusable"
    BACKEND_UNKNOWN = "backend-unknown"
    BACKEND_UNAVAILABLE = "backend-unavailable"
    BACKEND_FAILED = "backend-failed"


class TryOnError(TrustcartError):
    """Base of try-on errors; ``code`` and ``status`` say how the HTTP shell renders it."""

    status = 422

    def __init__(self, code: TryOnProblem, message: str) -> None:
        self.code = code
        super().__init__(message)


class TryOnUnavailable(TryOnError):
    """numpy or OpenCV is missing: install the ``trustcart[tryon]`` extra."""

    status = 503


class ImageError(TryOnError):
    """An uploaded image cannot be decoded, or is outside the size limits."""


class PhotoError(TryOnError):
    """The person photo cannot be used for this category."""


class ProductImageError(TryOnError):
    """The product image cannot be cut out, or its shape does not fit its category."""


class BackendError(TryOnError):
    """A try-on back end is unknown, unavailable on this machine, or failed."""

    status = 503
