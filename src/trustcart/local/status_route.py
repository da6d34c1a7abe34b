"""A stable address for this installation's status service, whatever port it runs on.

A credential names its status service by URL (ACT ``status_reference``) and every verifier
fetches its status there, at every hop. On one machine the roles start on free ports at each
run (``trustcart chat``, ``orders``, ``delegations``, ...), so a URL with today's port would
name a dead server tomorrow: a standing order signed in an earlier session, or the status that
``trustcart delegations`` shows, could not be checked and would be refused (fail closed).

Credentials the local wallet signs therefore name ``STATUS_BASE``
(``http://status.trustcart.localhost``: ``.localhost`` names are loopback, RFC 6761), and the
local verifiers (the agent's status checker, the payment provider's) reach it through
``StatusRoute``, an httpx transport that sends requests for that one host to the status server
running now. Nothing else is rerouted, and the verifiers still fetch only status URLs under
their allowed prefixes.

>>> route = StatusRoute("http://127.0.0.1:8701")
>>> str(route.live_url(httpx.URL(STATUS_BASE + "/delegations/dlg_1/status")))
'http://127.0.0.1:8701/delegations/dlg_1/status'
>>> route.close()
"""

from __future__ import annotations

import httpx

STATUS_HOST = "status.trustcart.localhost"
STATUS_BASE = f"http://{STATUS_HOST}"


class StatusRoute(httpx.BaseTransport):
    """Sends requests for ``STATUS_HOST`` to the live status server; others go as they are."""

    def __init__(self, live: str, transport: httpx.BaseTransport | None = None) -> None:
        self._live = httpx.URL(live)
        self._transport = transport or httpx.HTTPTransport()

    def live_url(self, url: httpx.URL) -> httpx.URL:
        if url.host != STATUS_HOST:
            return url
        return url.copy_with(scheme=self._live.scheme, host=self._live.host, port=self._live.port)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        live = self.live_url(request.url)
        if live != request.url:
            request.url = live
            request.headers["Host"] = live.netloc.decode("ascii")
        return self._transport.handle_request(request)

    def close(self) -> None:
        self._transport.close()
