"""Exception tree of ``trustcart.delivery``.

    TrustcartError
    └── DeliveryError
        ├── InvalidMessage    an outbox message that cannot exist (empty ids, naive times,
        │                     a state its fields contradict); also a ``ValidationError``
        └── InvalidWebhookUrl a webhook receiver URL the policy refuses (``webhooks``); also
                              a ``ValidationError``

A failed delivery is not an exception: a transport answers an ``Outcome`` (delivered, retry,
refused) and the relay records it on the message. Exceptions a transport lets escape are
counted as a retry, so a relay never dies of one message.
"""

from trustcart.core.errors import TrustcartError, ValidationError


class DeliveryError(TrustcartError):
    """Base of delivery errors."""


class InvalidMessage(ValidationError, DeliveryError):
    """An outbox message failed validation when it was built."""


class InvalidWebhookUrl(ValidationError, DeliveryError):
    """A webhook receiver URL that is not http(s), names no host, or an address refused."""
