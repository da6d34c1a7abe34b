"""ACP 2026-04-17 (Agentic Commerce Protocol), merchant side: a codec over the one checkout.

    errors     ACP's flat error object ``{type, code, message, param}`` and its stable codes
    requests   create / update / complete / cancel bodies -> the checkout's drafts and changes
    render     a checkout view -> ACP ``CheckoutSession`` (totals, messages, discounts, order)
    platforms  agent platforms allowed to call a merchant: API keys, signing keys, webhooks
    handler    the protocol: headers, authentication, idempotency, routes (no HTTP framework)
    webhooks   order events to the platform, HMAC-signed, from a durable outbox with retries
    feed       a merchant's catalog as an ACP product feed

The HTTP shell is ``trustcart.api.acp``; the checkout itself is ``commerce.checkout_service``.
"""
