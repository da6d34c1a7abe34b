"""Imports every command module so that each registers its commands on the app."""

# ruff: noqa: F401
import trustcart.cli.records
from trustcart.cli import bench, bench_search, catalog, chat, conformance, demo, mcp, tryon, verify
