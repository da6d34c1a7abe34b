"""The composition root for one machine: every role wired together, the demo, its data.

deployment  builds every role (status, trust log, merchant marketplace, payment provider) on
            one store, with their keys and FastAPI apps
servers     runs the apps as uvicorn servers on loopback
http_limits the limits every server applies: request-head deadline, header size, keep-alive,
            connections (docs/bad-input.md)
keystore    the demo's key file ($TRUSTCART_HOME/keys.json, mode 0600)
persona     the demo's person, Alice, and her wallet
seed        the deterministic demo catalog (merchants, products, coupons, price history)
market      a running deployment and the shopping tools that shop there as Alice
demo        ``trustcart demo``

Only the shells (``cli``) and ``bench`` import this package; no domain package does
(``tests/test_architecture.py``).
"""
