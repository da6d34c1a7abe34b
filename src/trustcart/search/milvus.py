"""The distributed search back end: Milvus, through the same pymilvus code everywhere.

``MilvusCatalogIndex(uri)`` takes a Milvus URI: a local file path runs Milvus Lite embedded (the
tests do this), ``http://host:19530`` reaches a standalone server or a cluster behind its proxy.
Nothing else changes between them. One collection holds the offers:

    product_id  VARCHAR primary key (upsert replaces by it)
    terms       VARCHAR, analyzed on whitespace (our ``analysis`` terms), feeding
    sparse      the built-in BM25 function's sparse vector (SPARSE_INVERTED_INDEX, BM25)
    dense       FLOAT_VECTOR of the packaged embedder (AUTOINDEX: HNSW on a cluster, FLAT in Lite)
    title, merchant, currency, category, categories (ARRAY of category prefixes),
    price (INT64 minor units), stock, zone (INT64)

A second small collection holds the delivery zones (origin and radius), read once per process
and after writes, so that a geo filter becomes ``zone in [...]`` exactly as in the embedded
back end. Milvus Lite 2.5 has no filter templates, so the expression is built from values that
first pass strict patterns (ids, categories, currency codes; integers as ints): a value that
could change the expression's meaning is refused, never escaped. Hybrid search runs
server-side (``hybrid_search`` with ``RRFRanker(60)``); results are then ordered by (score,
price, product id) like the embedded back end. Milvus Lite is slow (≈ 170 ms per query at
200k offers on this machine): the embedded back end stays the default, this one is for
catalogs beyond one machine.
"""

from __future__ import annotations

import contextlib
import re
import warnings
from collections.abc import Sequence
from decimal import Decimal

from trustcart.core.errors import ValidationError
from trustcart.core.geo import GeoPoint
from trustcart.core.money import Money
from trustcart.search.analysis import query_terms
from trustcart.search.documents import DeliveryZone, IndexedOffer, reachable_zones
from trustcart.search.embedding import TextEmbedder
from trustcart.search.fusion import candidate_depth, facet_counts
from trustcart.search.index import IndexHit, IndexResult
from trustcart.search.query import SearchMode, SearchQuery

with warnings.catch_warnings():
    # milvus_lite imports pkg_resources, which warns about its own deprecation.
    warnings.simplefilter("ignore", DeprecationWarning)
    # A client of a remote cluster does not need Milvus Lite; import it first if present.
    with contextlib.suppress(ImportError):
        import milvus_lite  # type: ignore[import-untyped]  # noqa: F401
    from pymilvus import (  # type: ignore[import-untyped]
        AnnSearchRequest,
        DataType,
        Function,
        FunctionType,
        MilvusClient,
        RRFRanker,
    )

_CURRENCY = re.compile(r"[A-Z]{3}")
_CATEGORY = re.compile(r"[a-z0-9-]+(/[a-z0-9-]+)*")
_IDENTIFIER = re.compile(r"[A-Za-z0-9_-]{1,96}")
_OUTPUT = ["product_id", "title", "merchant", "currency", "price", "category", "zone"]
_ZONE_LIMIT = 16_384


def _literal(value: str, pattern: re.Pattern[str]) -> str:
    if not pattern.fullmatch(value):
        raise ValidationError(f"{value!r} cannot be used in a search filter")
    return f'"{value}"'


class MilvusCatalogIndex:
    """``CatalogIndex`` on Milvus (Lite, standalone or cluster)."""

    def __init__(self, uri: str, embedder: TextEmbedder, *, collection: str = "catalog") -> None:
        self._client = MilvusClient(uri)
        self._embedder = embedder
        self._collection = collection
        self._zones_collection = f"{collection}_zones"
        self._zones: list[DeliveryZone] = []
        self._zone_ids: dict[str, int] = {}
        if not self._client.has_collection(collection):
            self._create()
        self._load_zones()

    def _create(self) -> None:
        client = self._client
        schema = client.create_schema(auto_id=False)
        schema.add_field("product_id", DataType.VARCHAR, is_primary=True, max_length=96)
        schema.add_field(
            "terms",
            DataType.VARCHAR,
            max_length=8192,
            enable_analyzer=True,
            analyzer_params={"tokenizer": "whitespace"},
        )
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=self._embedder.dimensions)
        schema.add_field("title", DataType.VARCHAR, max_length=400)
        schema.add_field("merchant", DataType.VARCHAR, max_length=96)
        schema.add_field("currency", DataType.VARCHAR, max_length=3)
        schema.add_field("category", DataType.VARCHAR, max_length=100)
        schema.add_field(
            "categories",
            DataType.ARRAY,
            element_type=DataType.VARCHAR,
            max_capacity=16,
            max_length=100,
        )
        schema.add_field("price", DataType.INT64)
        schema.add_field("stock", DataType.INT64)
        schema.add_field("zone", DataType.INT64)
        schema.add_function(
            Function(
                name="bm25",
                function_type=FunctionType.BM25,
                input_field_names=["terms"],
                output_field_names=["sparse"],
            )
        )
        index = client.prepare_index_params()
        index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
        index.add_index("dense", index_type="AUTOINDEX", metric_type="COSINE")
        client.create_collection(
            self._collection, schema=schema, index_params=index, consistency_level="Strong"
        )
        zones = client.create_schema(auto_id=False)
        zones.add_field("zone", DataType.INT64, is_primary=True)
        zones.add_field("origin", DataType.FLOAT_VECTOR, dim=2)  # Milvus needs one vector
        zones.add_field("lat", DataType.VARCHAR, max_length=24)
        zones.add_field("lon", DataType.VARCHAR, max_length=24)
        zones.add_field("radius_km", DataType.VARCHAR, max_length=24)
        zone_index = client.prepare_index_params()
        zone_index.add_index("origin", index_type="FLAT", metric_type="L2")
        client.create_collection(
            self._zones_collection,
            schema=zones,
            index_params=zone_index,
            consistency_level="Strong",
        )

    def _load_zones(self) -> None:
        rows = self._client.query(
            self._zones_collection,
            filter="zone >= 0",
            output_fields=["zone", "lat", "lon", "radius_km"],
            limit=_ZONE_LIMIT,
        )
        self._zones = [DeliveryZone(GeoPoint.parse("0", "0"), Decimal(1))] * len(rows)
        for row in rows:
            zone = DeliveryZone(GeoPoint.parse(row["lat"], row["lon"]), Decimal(row["radius_km"]))
            self._zones[int(row["zone"])] = zone
        self._zone_ids = {z.key(): i for i, z in enumerate(self._zones)}

    def _zone_id(self, zone: DeliveryZone) -> int:
        found = self._zone_ids.get(zone.key())
        if found is None:
            found = len(self._zones)
            self._client.insert(
                self._zones_collection,
                [
                    {
                        "zone": found,
                        "origin": [float(zone.origin.lat), float(zone.origin.lon)],
                        "lat": str(zone.origin.lat),
                        "lon": str(zone.origin.lon),
                        "radius_km": str(zone.radius_km),
                    }
                ],
            )
            self._zones.append(zone)
            self._zone_ids[zone.key()] = found
        return found

    def upsert(self, offers: Sequence[IndexedOffer]) -> None:
        if not offers:
            return
        vectors = self._embedder.encode([o.embedding_text for o in offers])
        rows = []
        for offer, vector in zip(offers, vectors, strict=True):
            parts = offer.category.split("/")
            rows.append(
                {
                    "product_id": offer.product_id,
                    "terms": offer.index_terms,
                    "dense": vector.tolist(),
                    "title": offer.title,
                    "merchant": offer.merchant_id,
                    "currency": offer.price.currency,
                    "category": offer.category,
                    "categories": ["/".join(parts[: i + 1]) for i in range(len(parts))],
                    "price": offer.price.minor,
                    "stock": offer.stock,
                    "zone": self._zone_id(offer.zone),
                }
            )
        self._client.upsert(self._collection, rows)

    def delete(self, product_ids: Sequence[str]) -> None:
        if product_ids:
            self._client.delete(self._collection, ids=list(product_ids))

    def commit(self) -> None:
        self._client.flush(self._collection)

    def count(self) -> int:
        rows = self._client.query(self._collection, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"])

    def close(self) -> None:
        self._client.close()

    def _filter(self, query: SearchQuery, zones: dict[int, float] | None) -> str | None:
        """The filter expression; ``None`` when nothing can match. Every string pasted in
        has passed ``_literal`` (a strict pattern), so no input can change the expression."""
        clauses = ['product_id != ""']
        if query.max_price is not None:
            clauses.append(
                f"price <= {int(query.max_price.minor)} and "
                f"currency == {_literal(query.max_price.currency, _CURRENCY)}"
            )
        if query.category_prefix:
            clauses.append(
                f"array_contains(categories, {_literal(query.category_prefix, _CATEGORY)})"
            )
        if query.merchant_ids:
            merchants = ", ".join(_literal(m, _IDENTIFIER) for m in query.merchant_ids)
            clauses.append(f"merchant in [{merchants}]")
        if query.in_stock_only:
            clauses.append("stock > 0")
        if zones is not None:
            if not zones:
                return None
            clauses.append(f"zone in [{', '.join(str(int(z)) for z in sorted(zones))}]")
        return " and ".join(clauses)

    def search(self, query: SearchQuery, mode: SearchMode = SearchMode.HYBRID) -> IndexResult:
        zones = reachable_zones(self._zones, query) if query.location is not None else None
        expression = self._filter(query, zones)
        if expression is None:
            return IndexResult(())
        depth = candidate_depth(query)
        terms = " ".join(query_terms(query.text))
        vector = self._embedder.encode([query.text])[0] if query.text.strip() else None
        has_vector = vector is not None and bool(vector.any())
        use_lexical = bool(terms) and mode is not SearchMode.SEMANTIC
        use_semantic = has_vector and mode is not SearchMode.LEXICAL
        requests = []
        if use_lexical:
            requests.append(
                AnnSearchRequest(
                    data=[terms],
                    anns_field="sparse",
                    param={"metric_type": "BM25"},
                    limit=depth,
                    expr=expression,
                )
            )
        if use_semantic and vector is not None:
            requests.append(
                AnnSearchRequest(
                    data=[vector.tolist()],
                    anns_field="dense",
                    param={"metric_type": "COSINE"},
                    limit=depth,
                    expr=expression,
                )
            )
        if len(requests) == 2:
            found = self._client.hybrid_search(
                self._collection, requests, RRFRanker(60), limit=depth, output_fields=_OUTPUT
            )[0]
            rows = [(float(hit["distance"]), hit["entity"]) for hit in found]
        elif requests:
            request = requests[0]
            found = self._client.search(
                self._collection,
                data=request.data,
                anns_field=request.anns_field,
                limit=depth,
                filter=expression,
                search_params={"metric_type": request.param["metric_type"]},
                output_fields=_OUTPUT,
            )[0]
            # One list: score it as RRF would, so scores mean the same in every mode.
            rows = [(1.0 / (60 + rank), hit["entity"]) for rank, hit in enumerate(found, 1)]
        elif not query.text.strip() and query.category_prefix:
            found = self._client.query(
                self._collection, filter=expression, output_fields=_OUTPUT, limit=depth
            )
            found.sort(key=lambda e: (e["price"], e["product_id"]))
            rows = [(1.0 / (60 + rank), e) for rank, e in enumerate(found, 1)]
        else:
            return IndexResult(())
        rows.sort(key=lambda r: (-r[0], r[1]["price"], r[1]["product_id"]))
        facets = facet_counts((e["category"] for _, e in rows), (e["merchant"] for _, e in rows))
        hits = tuple(
            IndexHit(
                product_id=e["product_id"],
                merchant_id=e["merchant"],
                title=e["title"],
                price=Money(int(e["price"]), e["currency"]),
                score=score,
                distance_km=None if zones is None else zones[int(e["zone"])],
            )
            for score, e in rows[: query.limit]
        )
        return IndexResult(hits, facets)
