"""ACT Commerce Interaction (CID): what a marketplace of merchants offers to agents.

errors              the commerce exception tree and ``CommerceProblem`` codes
catalog             Merchant, Product, Coupon value objects (CID-MER-CAT)
repository          catalog value objects <-> rows, bulk insert
catalog_search      products as search documents, the store as the search's source of truth,
                    the one ``SearchEngine`` the merchant service and the CLI both use
ingest              catalog import: CSV, JSONL, Parquet, ACP feeds, per-row reports
catalog_text        catalog text files: encoding (UTF-8/BOM, UTF-16, GB18030), delimiter, bad bytes
compare             the same product across merchants, price history and its verdict
coupons             the best coupon combination for one merchant's cart (pure)
cart                cart pricing, pre-checks and the confirmed-cart payload (pure)
orders              the order lifecycle as a transition table (pure)
order_book          the ``Order`` view and the order row operations
payment_capability  CID-PCA-NEG: one-way capability file and two-way negotiation (pure)
intent_context      CID-INT-XFR: request parsing, delta merging, what a context asks for
requests            parsing of the other request bodies (cart, negotiation, payment notice)
marketplace         ``Marketplace``: store, merchant keys, clock and events, shared by the units
intent_query        CID-INT-XFR: candidates with priced offers for an intent context
cart_confirmation   CID-CART-CFM: price lock, stock reservation, the signed cart
order_lifecycle     payment notice, fulfilment, cancel and expiry of orders
service             ``MerchantService``: the read-only answers, composing the units of work

The search engine itself is ``trustcart.search``; demo data is ``trustcart.local.seed``.
"""
