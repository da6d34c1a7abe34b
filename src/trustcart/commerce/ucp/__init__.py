"""UCP 2026-04-08 codec of the business side: profile, requests, rendering and errors.

The HTTP shell is ``trustcart.api.ucp``; checkout sessions run on the one checkout state
machine (``commerce.checkout_service``), so this package prices nothing itself.
"""

VERSION = "2026-04-08"
