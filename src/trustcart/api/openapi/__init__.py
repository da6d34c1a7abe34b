"""The OpenAPI contract of every trustcart HTTP service, one definition per request body.

The services parse their bodies by hand (``api.common.parse_json_object`` and the domain
parsers): that strict code is the security boundary and stays. FastAPI therefore knows no body
model, so each route declares its contract here, beside it, and the same definition does two
things: it is published in ``/openapi.json`` (request body schema, every status code with its
body, the headers that matter) and it *gates* the route: ``JsonBody.check`` validates the parsed
body against the very schema that is published before the hand-written parser sees it, so a
body outside the documented contract can never be accepted, whatever the parser does.

    vocabulary   JsonBody, Reply, Operation, the shared schemas (money, identifiers, JWS,
                 problem+json) and ``finish_openapi``, which tidies FastAPI's document
    delegation   the status service (ADD-IAC-LCM)
    trust        the transparency log (TSD-ATT)
    merchant     the marketplace (CID-*)
    psp          the payment service provider (PSD-*)
    disputes     the PSP's dispute routes (TSD-ATT-DSP)
    tryon        virtual try-on

``tests/api/test_openapi_contract.py`` checks that every operation of every service documents
its body and responses, and ``tests/api/test_schemathesis.py`` fuzzes every service against it.
"""
