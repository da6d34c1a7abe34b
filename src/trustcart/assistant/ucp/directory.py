"""The UCP businesses the person added, kept in their ``Memory`` (the store, via the root).

Strategy: one record of kind ``ucp-business`` per business, keyed by its URL, holding the
profile exactly as fetched. Every read checks the profile again (``profile.read_profile``): a
record that no longer passes (a schema or rule changed, a row edited by hand) is left out, never
trusted; a check is kept while the stored text is the same, so discovery does not re-validate
on every search.
"""

from __future__ import annotations

import json

from trustcart.assistant.memory import Memory, RecordKind
from trustcart.assistant.ucp.errors import UcpError
from trustcart.assistant.ucp.profile import BusinessProfile


class RememberedBusinesses:
    """A ``shops.BusinessDirectory`` over the person's ``Memory``."""

    def __init__(self, memory: Memory) -> None:
        self._memory = memory
        self._checked: dict[str, tuple[str, BusinessProfile]] = {}
        self.rejected: dict[str, str] = {}  # url -> why its stored profile was left out

    def add(self, profile: BusinessProfile) -> None:
        """Keep (or replace) ``profile`` under its URL."""
        self._memory.record(RecordKind.UCP_BUSINESS, profile.url, profile.to_record())

    def businesses(self) -> list[BusinessProfile]:
        """Every stored business whose profile still passes the checks, in the order added."""
        found = []
        for record in self._memory.records(RecordKind.UCP_BUSINESS):
            url, text = str(record.get("url")), json.dumps(record, sort_keys=True)
            cached = self._checked.get(url)
            if cached is not None and cached[0] == text:
                found.append(cached[1])
                continue
            try:
                profile = BusinessProfile.from_record(record)
            except (UcpError, KeyError, TypeError) as e:
                self.rejected[url] = str(e)
                continue
            self._checked[url] = (text, profile)
            found.append(profile)
        return found
