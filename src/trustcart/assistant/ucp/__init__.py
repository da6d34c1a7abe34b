"""The platform side of UCP 2026-04-08: the trustcart agent as a client of any UCP business.

    errors    one exception tree, stable codes (``UcpCode``)
    schemas   the pinned UCP JSON schemas, every answer validated against them
    profile   a business's ``/.well-known/ucp`` read and checked (pure)
    client    the REST client: discovery, catalog search, checkout sessions (httpx)
    pricing   UCP products as offers; a session's totals and prices checked (pure)
    shops     the businesses the person added: searched beside the marketplace, bought from
    directory where the added businesses are kept (the person's ``Memory``), re-checked on read
    agent     the buyer agent that also asks the added businesses

The business side (``commerce.ucp``, ``api.ucp``) is another party: nothing here imports it.
"""

VERSION = "2026-04-08"
