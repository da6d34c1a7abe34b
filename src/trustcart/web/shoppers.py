"""Each browser's shopper: their registered key, their wallet and tools, their conversation.

A shopper (``web.shopper.shopper_id``) registers the public JWK of the key their browser made;
registration opens their wallet at the payment provider with that key as the delegator key
(``PaymentProvider.open_account``, funded like the demo's person), so the account is the
record of which key speaks for the shopper; the key is also published in the key directory as
the shopper's ``delegator`` key, so the log admits the records it attests. A private JWK
(one with ``d``) is refused: the server never takes a person's private key. A second
registration with another key is refused (the account is bound to the first); the same key
again is fine.

Once registered, the shopper gets the same shopping tools as ``trustcart chat``
(``ShoppingTools`` over the buyer agent), with a ``BrowserWallet`` instead of the key-store
wallet, records in ``SqlMemory`` under their identity, and one ``Conversation`` whose state is
saved in the store under ``cnv_<shopper id>``. Work that needs the person's signature (an
approval and payment, a revocation) runs as one background ``Job`` per shopper while the
browser answers the signing desk.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import httpx

from trustcart.assistant.conversation import Conversation
from trustcart.assistant.tools import ShoppingTools
from trustcart.core.money import Money
from trustcart.crypto.errors import CryptoError
from trustcart.crypto.keys import PublicKey
from trustcart.local import persona
from trustcart.local.deployment import Deployment
from trustcart.local.market import CLIENT_TIMEOUT, Clients, buyer_agent, status_checker
from trustcart.local.memory import SqlMemory
from trustcart.local.status_route import STATUS_BASE
from trustcart.payments.accounts import get_account
from trustcart.web.browser_wallet import BrowserWallet
from trustcart.web.signing_desk import SigningCode, SigningDesk, SigningRefused


def identity_of(shopper_id: str) -> str:
    return f"user:{shopper_id}"


def account_of(shopper_id: str) -> str:
    return f"acct_{shopper_id}"


def public_key_from_browser(jwk: Mapping[str, Any]) -> PublicKey:
    """The Ed25519 public key of a browser's JWK; private or other keys are refused."""
    if not isinstance(jwk, Mapping) or "d" in jwk:
        raise SigningRefused(SigningCode.BAD_KEY, "send the public JWK only")
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or not isinstance(jwk.get("x"), str):
        raise SigningRefused(SigningCode.BAD_KEY, "an Ed25519 public JWK is expected")
    try:
        return PublicKey.from_jwk({"kty": "OKP", "crv": "Ed25519", "x": jwk["x"]})
    except (CryptoError, ValueError, KeyError, TypeError) as e:
        raise SigningRefused(SigningCode.BAD_KEY, "the JWK does not parse") from e


class JobState(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass
class Job:
    """One piece of work waiting on the browser's signatures; ``result`` when done."""

    name: str
    state: JobState = JobState.RUNNING
    result: dict[str, Any] = field(default_factory=dict)


@dataclass
class Shopper:
    shopper_id: str
    desk: SigningDesk
    tools: ShoppingTools
    conversation: Conversation
    history: list[tuple[str, str]] = field(default_factory=list)
    last_turn: dict[str, Any] | None = None
    job: Job | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, name: str, work: Callable[[], dict[str, Any]]) -> Job:
        """Run ``work`` in the background (one job at a time, holding the shopper's lock)."""
        if not self.lock.acquire(blocking=False):
            raise SigningRefused(SigningCode.SIGNING_BUSY, "another action is under way")
        job = Job(name)
        self.job = job

        def run() -> None:
            try:
                job.result = work()
                job.state = JobState.DONE
            except Exception as e:  # the page shows any failure; the thread must not die silently
                job.result = {"error": type(e).__name__, "reason": str(e)}
                job.state = JobState.FAILED
            finally:
                self.lock.release()

        threading.Thread(target=run, name=f"shopper-{name}", daemon=True).start()
        return job


class ShopperRegistry:
    """The shoppers of one running deployment, made when their key is registered."""

    def __init__(self, deployment: Deployment, clients: Clients, timeout: float) -> None:
        self._deployment = deployment
        self._clients = clients
        self._timeout = timeout
        self._shoppers: dict[str, Shopper] = {}
        self._lock = threading.Lock()

    def registered_key(self, shopper_id: str) -> PublicKey | None:
        with self._deployment.db.transaction() as session:
            account = get_account(session, account_of(shopper_id))
        return None if account is None else account.delegator_key

    def register(self, shopper_id: str, jwk: Mapping[str, Any]) -> PublicKey:
        """Register the browser's public key as this shopper's delegator key (once)."""
        key = public_key_from_browser(jwk)
        with self._lock:
            known = self.registered_key(shopper_id)
            if known is not None and known.kid != key.kid:
                raise SigningRefused(
                    SigningCode.KEY_MISMATCH, "this shopper's wallet is bound to another key"
                )
            if known is None:
                self._deployment.psp.open_account(
                    account_of(shopper_id),
                    identity_of(shopper_id),
                    key,
                    Money.parse(persona.OPENING_BALANCE, "CNY"),
                )
        return key

    def get(self, shopper_id: str) -> Shopper:
        """The shopper with a registered key (``SigningRefused`` ``web.key-not-registered``)."""
        with self._lock:
            shopper = self._shoppers.get(shopper_id)
            if shopper is not None:
                return shopper
            key = self.registered_key(shopper_id)
            if key is None:
                raise SigningRefused(
                    SigningCode.KEY_NOT_REGISTERED, "this browser has not registered its key"
                )
            shopper = self._make(shopper_id, key)
            self._shoppers[shopper_id] = shopper
            return shopper

    def _make(self, shopper_id: str, key: PublicKey) -> Shopper:
        deployment, clients = self._deployment, self._clients
        endpoints, clock = deployment.endpoints, deployment.clock
        # The log admits the delegator's records by the key directory (in the process: made
        # again from the wallet's key after a restart); a second time is a no-op.
        deployment.directory.register(key, party_id=identity_of(shopper_id), role="delegator")
        desk = SigningDesk(key, self._timeout)

        def client(base_url: str) -> httpx.Client:
            return clients.keep(httpx.Client(base_url=base_url, timeout=CLIENT_TIMEOUT))

        wallet = BrowserWallet(
            desk=desk,
            identity=identity_of(shopper_id),
            account_id=account_of(shopper_id),
            clock=clock,
            status_service=client(endpoints.status),
            status_base_url=STATUS_BASE,
            psp=client(endpoints.psp),
            trust=client(endpoints.trust),
        )
        agent = buyer_agent(deployment, clients, status_checker(deployment, clients, clock), clock)
        tools = ShoppingTools(
            agent=agent,
            wallet=wallet,
            clock=clock,
            location=persona.LOCATION,
            memory=SqlMemory(deployment.db, identity_of(shopper_id), clock),
        )
        conversation = Conversation(tools, session_id=f"cnv_{shopper_id}")
        return Shopper(shopper_id, desk, tools, conversation)
