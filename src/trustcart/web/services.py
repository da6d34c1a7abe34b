"""What the web pages call: the running deployment's services, gathered once at start.

The web app is a shell over one running deployment (``local.deployment``): the store, the
clock, the key store and directory (merchant onboarding), the catalog index (imports), the
shopping tools (the shopper's search goes through the buyer agent, over signed HTTP, to the
merchant service's intent-context query, like every other caller), the ROI reader, and for a
merchant's refunds an HTTP client signed with that merchant's key to the payment provider's
refund API. Nothing here is a second implementation of any of those.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from trustcart.api.agent_auth import AgentRequestSigner
from trustcart.assistant.tools import ShoppingTools
from trustcart.commerce.ingest import ImportReport
from trustcart.core.clock import Clock
from trustcart.local.deployment import Deployment
from trustcart.local.market import Clients, tools_for
from trustcart.local.onboarding import import_into
from trustcart.store.db import Database
from trustcart.tryon.backends import TryOnService
from trustcart.web.credentials import LoginThrottle, WebSecrets
from trustcart.web.imports import WEB_BATCH, ImportJobs
from trustcart.web.picture_cache import GeneratedPictures
from trustcart.web.shoppers import ShopperRegistry
from trustcart.web.signing_desk import SIGNING_TIMEOUT

CLIENT_TIMEOUT = 10.0


@dataclass
class WebServices:
    deployment: Deployment
    home: Path
    secrets: WebSecrets
    jobs: ImportJobs
    clients: Clients
    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    _shopping: ShoppingTools | None = None
    _shoppers: ShopperRegistry | None = None
    signing_timeout: float = SIGNING_TIMEOUT
    _psp_clients: dict[str, httpx.Client] = field(default_factory=dict)
    _pictures: GeneratedPictures | None = None
    _tryon: TryOnService | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def shopping(self) -> ShoppingTools:
        """The shopping tools, made on first use (they read the status keys over HTTP)."""
        with self._lock:
            if self._shopping is None:
                self._shopping = tools_for(self.deployment, self.clients)
            return self._shopping

    @property
    def shoppers(self) -> ShopperRegistry:
        """The browsers' shoppers (``web.shoppers``), each with their key, tools and chat."""
        with self._lock:
            if self._shoppers is None:
                self._shoppers = ShopperRegistry(
                    self.deployment, self.clients, self.signing_timeout
                )
            return self._shoppers

    @property
    def pictures(self) -> GeneratedPictures:
        """Generated product pictures, cached under ``$TRUSTCART_HOME/pictures``."""
        with self._lock:
            if self._pictures is None:
                self._pictures = GeneratedPictures(self.home / "pictures")
            return self._pictures

    @property
    def tryon(self) -> TryOnService:
        """The try-on engine (``trustcart.tryon``) with every discovered back end."""
        with self._lock:
            if self._tryon is None:
                self._tryon = TryOnService()
            return self._tryon

    @property
    def db(self) -> Database:
        return self.deployment.db

    @property
    def clock(self) -> Clock:
        return self.deployment.clock

    def psp_as_merchant(self, merchant_id: str) -> httpx.Client:
        """A client to the payment provider whose every request the merchant signs."""
        with self._lock:
            client = self._psp_clients.get(merchant_id)
            if client is None:
                key = self.deployment.merchant_keys[merchant_id]
                client = httpx.Client(
                    base_url=self.deployment.endpoints.psp,
                    timeout=CLIENT_TIMEOUT,
                    auth=AgentRequestSigner(key, clock=self.clock),
                )
                self._psp_clients[merchant_id] = client
            return client

    def close(self) -> None:
        self.jobs.close()
        self.clients.close()
        with self._lock:
            for client in self._psp_clients.values():
                client.close()
            self._psp_clients.clear()


def web_services(deployment: Deployment, home: Path) -> WebServices:
    """Gather the services of a running deployment (its servers must be listening)."""
    clients = Clients()

    def run_import(path: Path, merchant_id: str, on_row: object) -> ImportReport:
        return import_into(
            deployment,
            path,
            now=deployment.clock.now(),
            merchant_id=merchant_id,
            on_row=on_row,  # type: ignore[arg-type]
            batch_size=WEB_BATCH,
        )

    return WebServices(
        deployment=deployment,
        home=home,
        secrets=WebSecrets.load(home),
        jobs=ImportJobs(home / "uploads", run_import),
        clients=clients,
    )
