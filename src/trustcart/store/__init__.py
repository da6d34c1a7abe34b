"""Persistence: one SQLAlchemy metadata, tables per domain (``store/<domain>.py``), Alembic.

SQLite (WAL) is the embedded default; PostgreSQL is the production store. The same code runs on
both; the tests run on both.
"""
