"""The conformance kit: every suite passes, can fail, and the CLI prints the agreed shape."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from trustcart.conformance import rfc9421, web_bot_auth
from trustcart.conformance.runner import SUITES, run_all, summary


def _wba_vector_count() -> int:
    data = web_bot_auth.conformance_dir() / web_bot_auth.TEST_DATA
    return sum(len(json.loads(path.read_text())) for path in data.glob("*.json"))


def test_all_suites_pass() -> None:
    results = {result.name: result for result in run_all()}
    assert set(results) == {"rfc9421", "web-bot-auth", "act-tsd-crd", "act-a402", "acp", "ucp"}
    for result in results.values():
        assert result.error is None, result.error
        assert result.failed == 0, [c for c in result.cases if not c.passed]
        assert result.passed > 0


def test_rfc9421_covers_appendix_b() -> None:
    result = rfc9421.run()
    ids = {case.case_id.split()[0] for case in result.cases}
    assert {"B.2.1", "B.2.2", "B.2.3", "B.2.4", "B.2.5", "B.2.6", "4.3", "B.4"} <= ids
    by_id = {case.case_id: case for case in result.cases}
    assert "re-signed byte-exact" in by_id["B.2.6 ed25519"].detail
    assert "base equal" in by_id["B.2.6 ed25519"].detail
    assert "re-signed byte-exact" in by_id["B.2.5 hmac-sha256"].detail
    assert "re-signed byte-exact" in by_id["4.3 rsa-v1_5-sha256"].detail


def test_web_bot_auth_runs_every_vector() -> None:
    result = web_bot_auth.run()
    assert result.passed == _wba_vector_count()


_ORIGINAL_LOAD = rfc9421.load_vectors


def _mutated_rfc_vectors(mutate: Any) -> dict[str, Any]:
    vectors = _ORIGINAL_LOAD()
    mutate(vectors)
    return vectors


@pytest.mark.parametrize(
    ("case_index", "field", "value"),
    [
        (5, "signature_base", "not the base"),  # B.2.6: base must match the RFC
        (5, "signature", "sig-b26=:" + "A" * 86 + "==:"),  # B.2.6: signature must verify
        (0, "signature_input", 'sig-b21=();created=1618884474;keyid="test-key-rsa-pss"'),
    ],
)
def test_rfc9421_suite_can_fail(
    monkeypatch: pytest.MonkeyPatch, case_index: int, field: str, value: str
) -> None:
    def mutate(vectors: dict[str, Any]) -> None:
        vectors["cases"][case_index][field] = value

    monkeypatch.setattr(rfc9421, "load_vectors", lambda: _mutated_rfc_vectors(mutate))
    result = rfc9421.run()
    assert result.failed == 1
    assert not result.cases[case_index].passed


def test_rfc9421_digest_cases_can_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    def mutate(vectors: dict[str, Any]) -> None:
        vectors["digests"][0]["body"] = '{"hello": "w0rld"}'

    monkeypatch.setattr(rfc9421, "load_vectors", lambda: _mutated_rfc_vectors(mutate))
    assert rfc9421.run().failed == 1


def test_missing_shared_folder_fails_clearly(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(web_bot_auth.ENV_VAR, str(tmp_path / "nowhere"))
    result = web_bot_auth.run()
    assert result.failed == 1
    assert result.passed == 0
    assert result.error is not None
    assert "not found" in result.error


def _copy_vectors(tmp_path: Path) -> Path:
    source = web_bot_auth.conformance_dir() / web_bot_auth.TEST_DATA
    target = tmp_path / web_bot_auth.TEST_DATA
    shutil.copytree(source, target)
    return target


@pytest.mark.parametrize(
    ("filename", "index", "field", "value"),
    [
        ("web_bot_auth_architecture_v2.json", 2, "target_url", "https://example.org/path"),
        ("web_bot_auth_architecture_v1.json", 2, "nonce", "another"),
        ("web_bot_auth_signature_agent_v1.json", 1, "header", 'sig1="https://x.test";type=cimd'),
        ("web_bot_auth_registry_v1.json", 1, "registry_txt", "https://bot1.example.com/card\n"),
        ("web_bot_auth_signature_agent_card_v1.json", 0, "url", "https://example.com/other"),
        ("web_bot_auth_signature_agent_card_v1.json", 3, "error", "some other reason"),
    ],
)
def test_web_bot_auth_suite_can_fail(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    filename: str,
    index: int,
    field: str,
    value: str,
) -> None:
    data = _copy_vectors(tmp_path)
    path = data / filename
    vectors = json.loads(path.read_text())
    vectors[index][field] = value
    path.write_text(json.dumps(vectors))
    monkeypatch.setenv(web_bot_auth.ENV_VAR, str(tmp_path))
    result = web_bot_auth.run()
    assert result.failed == 1
    assert result.passed == _wba_vector_count() - 1


def test_parsers() -> None:
    assert web_bot_auth.parse_registry("# c\n\n https://a.test/card  # x\n") == [
        "https://a.test/card"
    ]
    header = 'a="https://a.test", b="https://b.test";type=cimd'
    assert web_bot_auth.parse_signature_agent(header) == [
        {"label": "a", "uri": "https://a.test", "type": "directory"},
        {"label": "b", "uri": "https://b.test", "type": "cimd"},
    ]
    card = {"client_id": "https://a.test/bot", "jwks_uri": "http://a.test/jwks"}
    assert web_bot_auth.validate_signature_agent_card(card, "https://a.test/bot") == (
        "jwks_uri must be an https URL"
    )
    assert (
        web_bot_auth.validate_signature_agent_card(
            {"client_id": "https://a.test/bot"}, "https://a.test/bot"
        )
        == "card must contain jwks or jwks_uri"
    )


def test_summary_shape() -> None:
    assert summary(run_all(["rfc9421"])) == {"rfc9421": {"passed": 12, "failed": 0}}
    with pytest.raises(KeyError):
        run_all(["nope"])


# --- the CLI ------------------------------------------------------------------------------


def _cli() -> typer.Typer:
    # The command as registered, on an app that keeps sub-command mode however many commands
    # the shared app happens to have while this test runs.
    from trustcart.cli.conformance import conformance

    app = typer.Typer()
    app.callback()(lambda: None)
    app.command()(conformance)
    return app


def test_command_is_registered_on_the_shared_app() -> None:
    import trustcart.cli.commands  # noqa: F401
    from trustcart.cli.app import app

    names = {
        command.name or command.callback.__name__
        for command in app.registered_commands
        if command.callback is not None
    }
    assert "conformance" in names


def test_cli_json_shape() -> None:
    result = CliRunner().invoke(_cli(), ["conformance", "--json"])
    assert result.exit_code == 0, result.output
    output = json.loads(result.output)
    assert list(output) == list(SUITES)
    for counts in output.values():
        assert set(counts) == {"passed", "failed"}
        assert counts["failed"] == 0
        assert counts["passed"] > 0


def test_cli_table_and_failure_exit_code(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    table = CliRunner().invoke(_cli(), ["conformance"])
    assert table.exit_code == 0, table.output
    assert "rfc9421" in table.output
    assert "web-bot-auth" in table.output
    monkeypatch.setenv(web_bot_auth.ENV_VAR, str(tmp_path))
    failed = CliRunner().invoke(_cli(), ["conformance", "--json"])
    assert failed.exit_code == 1
    assert json.loads(failed.output)["web-bot-auth"] == {"passed": 0, "failed": 1}
