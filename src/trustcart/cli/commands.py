"""Imports every command module so that each registers its commands on the app."""

# ruff: noqa: F401
from trustcart.cli import (
    bench,
    bench_checkout,
    bench_risk,
    bench_search,
    catalog,
    chat,
    conformance,
    demo,
    disputes,
    feed,
    mcp,
    merchants,
    records,
    relay,
    roi,
    standing,
    tryon,
    verify,
    web,
)
