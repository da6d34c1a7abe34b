"""The witness over HTTP (``api.witness``), as a ``WitnessPort`` for the log's anchorer.

    submit  POST {base}/anchors {"anchor": "<jws>"} -> 201 new, 200 existing, else refused
    fetch   GET  {base}/anchors/{anchor_id}          -> 200 entry, 404 None

A refusal keeps its stable code (``WitnessError``); a witness that cannot be reached, answers
late or answers something that is not an entry is ``witness-unavailable``. Nothing the witness
says is trusted here: the anchorer checks its receipt (``trust.anchoring``). Each query has a
30 s timeout and is tried up to 3 more times (TSD-ATT-SVF's anchor-query budget).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from trustcart.trust.errors import AnchorConflict, WitnessError
from trustcart.trust.witness import AnchorEntry, WitnessRefusal

QUERY_TIMEOUT = 30.0
RETRIES = 3

__all__ = ["HttpWitness"]


def _entry(body: Any, created: bool) -> AnchorEntry:
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("anchor"), str)
        or not isinstance(body.get("receipt"), str)
        or not isinstance(body.get("height"), int)
    ):
        raise WitnessError(WitnessRefusal.WITNESS_UNAVAILABLE, "the witness sent no entry")
    return AnchorEntry(body["anchor"], body["receipt"], body["height"], created)


class HttpWitness:
    """A witness at ``client.base_url``."""

    def __init__(self, client: httpx.Client, retries: int = RETRIES) -> None:
        self._client = client
        self._retries = retries

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for attempt in range(self._retries + 1):
            try:
                return self._client.request(method, path, timeout=QUERY_TIMEOUT, **kwargs)
            except httpx.HTTPError as e:
                if attempt == self._retries:
                    raise WitnessError(
                        WitnessRefusal.WITNESS_UNAVAILABLE, f"the witness did not answer: {e}"
                    ) from e
        raise AssertionError("unreachable")

    def submit(self, anchor: str) -> AnchorEntry:
        response = self._send("POST", "/anchors", json={"anchor": anchor})
        if response.status_code in (200, 201):
            return _entry(response.json(), response.status_code == 201)
        try:
            code = str(response.json().get("code", ""))
        except ValueError:
            code = ""
        if code == WitnessRefusal.ANCHOR_ID_CONFLICT:
            raise AnchorConflict(code, "the witness holds other content under this id")
        if code in {r.value for r in WitnessRefusal}:
            raise WitnessError(code, f"the witness refused the anchor ({response.status_code})")
        raise WitnessError(
            WitnessRefusal.WITNESS_UNAVAILABLE, f"the witness answered {response.status_code}"
        )

    def fetch(self, anchor_id: str) -> AnchorEntry | None:
        response = self._send("GET", f"/anchors/{quote(anchor_id, safe='')}")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise WitnessError(
                WitnessRefusal.WITNESS_UNAVAILABLE, f"the witness answered {response.status_code}"
            )
        return _entry(response.json(), False)
