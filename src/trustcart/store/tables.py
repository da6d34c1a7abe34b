"""Import every domain's table module so that ``Base.metadata`` knows them all.

Each domain adds its own line here; nothing else lives in this file.
"""

# ruff: noqa: F401
