"""ACT Commerce Interaction (CID): what a marketplace of merchants offers to agents.

errors              the commerce exception tree and ``CommerceProblem`` codes
catalog             Merchant, Product, Coupon, GeoPoint value objects (CID-MER-CAT)
coupons             the best coupon combination for one merchant's cart (pure)
cart                cart pricing, pre-checks and the confirmed-cart payload (pure)
orders              the order lifecycle as a transition table (pure)
payment_capability  CID-PCA-NEG: one-way capability file and two-way negotiation (pure)
intent_context      CID-INT-XFR: request parsing, delta merging, what a context asks for
requests            parsing of the other request bodies (cart, negotiation, payment notice)
search              ``CatalogSearch`` protocol and the first SQL implementation
repository          catalog value objects <-> rows, bulk insert
order_book          the ``Order`` view and the order row operations
seed                deterministic demo catalog: merchants, 10,000+ products, coupons
service             ``MerchantService``: the marketplace's units of work over the store
"""
