"""Exception tree of ``trustcart.search``.

    TrustcartError
    └── SearchError             the search engine cannot answer as asked
        └── StaleIndexError     an index on disk was built by another analyzer: rebuild it

A stale index is not an input error: the shell that opens the index (``open_embedded_index``)
removes it and builds a new one from the catalog, which is the source of truth.
"""

from __future__ import annotations

from trustcart.core.errors import TrustcartError


class SearchError(TrustcartError):
    """The search engine cannot answer as asked."""


class StaleIndexError(SearchError):
    """The index on disk was built with another analyzer (its terms would not meet the
    queries' terms); it must be rebuilt from the catalog."""
