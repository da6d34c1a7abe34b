"""The A402 core is a pure wire package: it imports only core, crypto and itself.

That is what lets the seller, the payment provider and the buyer agent all use it, and what
keeps it free of storage, servers and the clock.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "trustcart" / "payments" / "a402"
ALLOWED = ("trustcart.core", "trustcart.crypto", "trustcart.payments.a402")
FORBIDDEN_FOREIGN = ("sqlalchemy", "fastapi", "httpx", "uvicorn", "time", "random", "secrets")


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_the_package_imports_only_core_crypto_and_itself() -> None:
    modules = sorted(PACKAGE.glob("*.py"))
    assert len(modules) > 10
    wrong = []
    for path in modules:
        for name in _imports(path):
            top = name.split(".")[0]
            if (top == "trustcart" and not name.startswith(ALLOWED)) or top in FORBIDDEN_FOREIGN:
                wrong.append(f"{path.name} imports {name}")
    assert wrong == []


def test_the_rule_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from trustcart.payments.provider import PaymentProvider\nimport time\n")
    assert _imports(bad) == {"trustcart.payments.provider", "time"}
