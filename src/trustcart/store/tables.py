"""Import every domain's table module so that ``Base.metadata`` knows them all.

Each domain adds its own line here; nothing else lives in this file.
"""

# ruff: noqa: F401
import trustcart.store.assistant
import trustcart.store.checkout
import trustcart.store.commerce
import trustcart.store.crypto
import trustcart.store.delegation
import trustcart.store.disputes
import trustcart.store.outbox
import trustcart.store.paid_calls
import trustcart.store.payments
import trustcart.store.pictures
import trustcart.store.risk
import trustcart.store.standing
import trustcart.store.trust
import trustcart.store.vault
import trustcart.store.witness
