"""The web app: the shopper's pages and the merchant console, server-rendered on FastAPI.

    app              create_web_app: middleware (host check, security headers, sessions), CSRF
    security         CSP and other headers, CSRF tokens, same-origin writes, safe redirects
    credentials      the embedded session key and console password, the login throttle
    auth             the console login and the guard on every console route
    shopper          the shopper's session id (what the shopper's pages key their state by)
    i18n, messages   English and Chinese: Accept-Language negotiation and the message catalog
    rendering        Jinja2 (autoescaped) and what every page gets
    services         the running deployment's services the pages call
    pages            the shopper's home and search, the language switch
    console          login, merchants, onboarding, a merchant's overview and JWKS
    console_shop     products, orders and refunds (through the PSP's API), coupons
    console_catalog  catalog import: upload, live progress, error report, CSV template
    console_roi      the ROI dashboard (insights.roi), charts from ``charts``
    imports          the background import worker and its progress snapshots
    charts           server-rendered SVG bar charts
    queries          read-only views of a merchant's products, orders and coupons
    server           run the roles and the web app on loopback (``trustcart web``/``serve``)

A shell: it calls services (``local``, ``commerce``, ``insights``, ``assistant.tools``) and
holds no rule of its own beyond the web's (sessions, CSRF, headers). Every asset is served
from ``static/``; nothing is loaded from another origin.
"""
