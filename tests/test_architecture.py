"""The import rules of docs/architecture.md, checked over the source itself.

* The assistant is another party: it reaches merchants, the payment provider, the status
  service and the log only through their protocols, so it imports none of their storage or
  servers (``store``, ``payments``, ``commerce``, ``search``, ``trust.log``), nor the
  composition root (``local``), nor a shell.
* Imports point inward: no domain package imports a shell (``api``, ``cli``, ``mcp``, ``web``)
  or the composition root; ``core`` imports only itself; ``search`` only ``core``.

Every ``import`` statement counts, including the lazy ones inside functions. A second test
imports every assistant module in a fresh interpreter and checks what got loaded, which also
catches a forbidden package reached through another module.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "trustcart"
SHELLS = ("api", "cli", "mcp", "web")
ROOTS = ("local", "bench")
DOMAIN = (
    "core",
    "crypto",
    "delegation",
    "delivery",
    "commerce",
    "payments",
    "trust",
    "search",
    "assistant",
    "tryon",
    "store",
    "conformance",
    "insights",
    "disputes",
)
# The A402 wire format (trustcart.payments.a402) is a protocol both sides speak: the buyer may
# use it; it imports only core and crypto (tests/payments/ checks that).
ASSISTANT_ALLOWED = ("trustcart.payments.a402",)
ASSISTANT_FORBIDDEN = (
    "trustcart.store",
    "trustcart.delivery",
    "trustcart.payments",
    "trustcart.commerce",
    "trustcart.search",
    "trustcart.trust.log",
    "trustcart.trust.attestations",
    "trustcart.trust.local_recorder",
    "trustcart.disputes",
    *(f"trustcart.{name}" for name in (*SHELLS, *ROOTS)),
)
ONLY = {"core": ("core",), "search": ("core", "search")}


def _package(path: Path) -> str:
    return path.relative_to(SRC).parts[0].removesuffix(".py")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("trustcart.")}


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "migrations" not in p.parts)


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def violations(paths: list[Path]) -> list[str]:
    """Every import that breaks a rule, as 'module imports name'."""
    found = []
    for path in paths:
        package = _package(path)
        for name in sorted(_imports(path)):
            target = name.split(".")[1]
            forbidden = any(_within(name, f) for f in ASSISTANT_FORBIDDEN) and not any(
                _within(name, a) for a in ASSISTANT_ALLOWED
            )
            if (
                (package == "assistant" and forbidden)
                or (package in DOMAIN and target in (*SHELLS, *ROOTS))
                or (package in ONLY and target not in ONLY[package])
            ):
                found.append(f"{path.relative_to(SRC)} imports {name}")
    return found


def test_the_source_keeps_the_import_rules() -> None:
    assert violations(_modules()) == []


def test_the_rule_catches_a_forbidden_import(tmp_path: Path) -> None:
    # The checker itself can fail: an assistant module importing the store is reported.
    fake = SRC / "assistant" / "tools.py"
    copy = tmp_path / "tools.py"
    copy.write_text(fake.read_text(encoding="utf-8") + "\nimport trustcart.store.db\n")
    imports = _imports(copy)
    assert "trustcart.store.db" in imports
    assert any(_within("trustcart.store.db", f) for f in ASSISTANT_FORBIDDEN)


@pytest.mark.parametrize("package", ["assistant"])
def test_importing_the_agent_loads_no_server_or_storage(package: str) -> None:
    script = (
        "import importlib, pkgutil, sys\n"
        f"import trustcart.{package} as p\n"
        f"for m in pkgutil.walk_packages(p.__path__, 'trustcart.{package}.'):\n"
        "    importlib.import_module(m.name)\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()
    assert [
        m
        for m in loaded
        if any(_within(m, f) for f in ASSISTANT_FORBIDDEN)
        and not any(_within(m, a) for a in ASSISTANT_ALLOWED)
        and m != "trustcart.payments"  # the package itself, loaded on the way to a402
    ] == []
    assert [m for m in loaded if m.split(".")[0] in ("sqlalchemy", "fastapi", "uvicorn")] == []
