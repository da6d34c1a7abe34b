"""Issue 10, item 4: every command turns bad arguments and bad files into a clear message and a
documented exit code (README, "Commands"), never a traceback.

Hypothesis draws argv and file contents per command; each invocation must end with an exit
code in the command's documented set, no exception (``main``'s last resort for bugs, exit 70,
is *not* in play: these tests call the Typer app directly), and, for exit 2, a short message
on stderr. Commands that would start servers or long benchmarks get only arguments that must
be refused before anything starts. The store lives in a temporary ``$TRUSTCART_HOME``, seeded
once for the module; example counts are small so the module stays within a few minutes.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
import typer
import typer.main
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.core import TyperGroup
from typer.testing import CliRunner, Result

import trustcart.cli.commands  # noqa: F401 - registers every command
from trustcart.cli.app import app

runner = CliRunner()
FEW = settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
SOME = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# What a shell can pass: no NUL, no lone surrogates.
_text = st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=12)
_junk = st.one_of(
    _text,
    st.sampled_from(["--nope", "-z", "--json", "--", "-", "0", "-1", "1e309", "NaN", "inf", "💥"]),
)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRUSTCART_HOME", str(folder))
        patch.delenv("TRUSTCART_DATABASE_URL", raising=False)
        patch.delenv("TRUSTCART_LLM_BASE_URL", raising=False)
        seeded = runner.invoke(app, ["search", "tea", "--limit", "1"])
        assert seeded.exit_code == 0, seeded.output
        yield folder


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("files")


def _run(args: Sequence[str], allowed: set[int], stdin: str = "") -> Result:
    result = runner.invoke(app, list(args), input=stdin)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{list(args)!r} raised") from result.exception
    assert "Traceback" not in result.output, result.output
    assert result.exit_code in allowed, (list(args), result.exit_code, result.output)
    if result.exit_code == 2:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert lines, f"{list(args)!r}: exit 2 without a message"
        assert len(lines) <= 8, result.stderr
        assert any(line.startswith(("error", "Error", "Usage", "ERROR")) for line in lines)
    return result


def _file(folder: Path, name: str, content: bytes) -> str:
    path = folder / name
    path.write_bytes(content)
    return str(path)


# -- verify: files -------------------------------------------------------------------------

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | _text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_text, children, max_size=3),
    max_leaves=10,
)
_documents = st.one_of(
    st.binary(max_size=200),
    _json_values.map(lambda v: json.dumps(v).encode()),
    st.builds(lambda n: b"[" * n + b"]" * n, st.integers(60, 3000)),
    st.builds(
        lambda keys: json.dumps({"format": "trustcart-evidence/1", "keys": keys}).encode(),
        _json_values,
    ),
    st.sampled_from([b"", b"\xef\xbb\xbf{}", b'{"keys": [{"kty": "OKP"}]}', b'{"keys": {}}']),
)


@given(bundle=_documents, keys=st.none() | _documents, extra=st.lists(_junk, max_size=2))
@SOME
@example(bundle=b"[" * 990 + b"]" * 990, keys=None, extra=[])
@example(bundle=b"{}", keys=b"[" * 990, extra=[])
def test_verify(files: Path, bundle: bytes, keys: bytes | None, extra: list[str]) -> None:
    args = ["verify", _file(files, "bundle.json", bundle)]
    if keys is not None:
        args += ["--trusted-keys", _file(files, "keys.json", keys)]
    result = _run([*args, *extra], {0, 1, 2})
    if not extra and bundle.startswith(b"[" * 100):
        assert result.exit_code == 2
        assert "nests deeper than 64 levels" in result.stderr


@pytest.mark.parametrize("target", ["missing.json", ".", "dir/"])
def test_verify_unreadable_paths(files: Path, target: str) -> None:
    (files / "dir").mkdir(exist_ok=True)
    result = _run(["verify", str(files / target)], {2})
    assert result.stderr.startswith("error: cannot read")


# -- import: files -------------------------------------------------------------------------

_catalog_lines = st.lists(
    st.lists(
        st.one_of(_text, st.sampled_from(["p_x1", "m_pearl_house", "16.00", "CNY", "9" * 40])),
        max_size=9,
    ).map(",".join),
    max_size=4,
)
_catalogs = st.one_of(
    st.binary(max_size=300),
    st.builds(
        lambda lines, enc: "\n".join(
            ["product_id,merchant_id,title,price,currency,stock", *lines]
        ).encode(enc, "replace"),
        _catalog_lines,
        st.sampled_from(["utf-8", "utf-8-sig", "gbk", "utf-16"]),
    ),
    _json_values.map(lambda v: json.dumps(v, ensure_ascii=False).encode()),
)


@given(
    content=_catalogs,
    suffix=st.sampled_from([".csv", ".tsv", ".jsonl", ".json", ".parquet", ".xlsx", ""]),
    merchant=st.none() | st.sampled_from(["m_pearl_house", "m_nowhere", ""]) | _text,
)
@FEW
@example(content="名称,价格\n奶茶,12\n".encode("gbk"), suffix=".csv", merchant=None)
@example(content=bytes(range(256)) * 4, suffix=".csv", merchant=None)
def test_import(home: Path, files: Path, content: bytes, suffix: str, merchant: str | None) -> None:
    args = ["import", _file(files, f"catalog{suffix}", content)]
    if merchant is not None:
        args += ["--merchant", merchant]
    _run(args, {0, 1, 2})


def test_import_of_a_directory_or_missing_file(home: Path, files: Path) -> None:
    _run(["import", str(files)], {2})
    _run(["import", str(files / "nothing.csv")], {2})


# -- search and compare: arguments -----------------------------------------------------------

_prices = st.one_of(_junk, st.sampled_from(["30", "29.90", "0", "-5", "1" * 30, "2.345"]))
_search_options = st.lists(
    st.one_of(
        st.tuples(st.just("--max-price"), _prices),
        st.tuples(st.just("--currency"), st.sampled_from(["CNY", "XXX", "cny", ""]) | _text),
        st.tuples(st.just("--category"), st.sampled_from(["drinks", "../..", "a/b/c/d/e"]) | _text),
        st.tuples(st.just("--near"), st.sampled_from(["30.25,120.16", "91,0", "a,b", ","]) | _text),
        st.tuples(st.just("--radius-km"), st.sampled_from(["1.5", "-1", "NaN", "1e99"]) | _text),
        st.tuples(st.just("--limit"), st.sampled_from(["0", "201", "5", "x"])),
        st.tuples(st.just("--mode"), st.sampled_from(["hybrid", "lexical", "semantic", "fuzzy"])),
    ),
    max_size=4,
)


@given(query=_text, options=_search_options, as_json=st.booleans())
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@example(query="tea", options=[("--near", "30.25,120.16"), ("--radius-km", "NaN")], as_json=False)
@example(query="tea", options=[("--max-price", "1" * 30)], as_json=True)
def test_search(home: Path, query: str, options: list[tuple[str, str]], as_json: bool) -> None:
    args = ["search", query, *(part for pair in options for part in pair)]
    _run([*args, *(["--json"] if as_json else [])], {0, 2})


@given(product=st.one_of(_text, st.sampled_from(["p_", "x" * 500, "../etc/passwd", "p_%00"])))
@FEW
def test_compare(home: Path, product: str) -> None:
    _run(["compare", product, "--json"], {0, 2})


@given(
    command=st.sampled_from(["open", "show", "appeal"]),
    target=st.one_of(_text, st.sampled_from(["ord_", "x" * 500, "dsp_%00"])),
    reason=_text,
    merchant=st.one_of(st.none(), _text),
)
@FEW
def test_disputes(home: Path, command: str, target: str, reason: str, merchant: str | None) -> None:
    """No such order or dispute, an empty reason, any merchant: refused in one line (1 or 2)."""
    args = ["disputes", command, target]
    args += ["--reason", reason] if command != "show" else []
    args += ["--as-merchant", merchant] if merchant is not None else []
    _run([*args, "--json"], {1, 2})


# -- chat: words -------------------------------------------------------------------------------


@given(
    words=st.one_of(
        _text,
        st.builds(
            "order me a pearl milk tea under {} yuan".format,
            st.sampled_from(["99999999999999999999", "-3", "0.001", "1e400", "３０"]),
        ),
    )
)
@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@example(words="order me a pearl milk tea under 99999999999999999999 yuan")
@example(words="买 99999999999999999999 杯奶茶")
def test_chat_once(home: Path, words: str) -> None:
    _run(["chat", "--once", words, "--json"], {0, 2})


def test_chat_with_an_unreachable_model_is_one_line(home: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    result = _run(["chat", "--once", "tea", "--llm-base-url", f"http://127.0.0.1:{port}/v1"], {2})
    assert "cannot be used" in result.stderr


# -- conformance, tryon ------------------------------------------------------------------------


@given(suites=st.lists(st.one_of(_text, st.sampled_from(["rfc9421", "nope"])), max_size=2))
@FEW
def test_conformance(suites: list[str]) -> None:
    _run(["conformance", "--json", *(part for s in suites for part in ("--suite", s))], {0, 1, 2})


_images = st.one_of(
    st.binary(max_size=300),
    st.sampled_from([b"\x89PNG\r\n\x1a\n" + bytes(100), b"GIF89a", b"\xff\xd8\xff" + bytes(50)]),
)


@given(
    person=_images,
    product=_images,
    category=st.sampled_from(["upper", "eyewear", "headwear", "shoes"]) | _text,
    backend=st.none() | st.sampled_from(["classical", "nope"]),
    output=st.sampled_from(["out.png", "no/such/dir/out.png", "."]),
)
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_tryon(
    files: Path, person: bytes, product: bytes, category: str, backend: str | None, output: str
) -> None:
    args = [
        "tryon",
        _file(files, "person.png", person),
        _file(files, "product.png", product),
        "--category",
        category,
        "--output",
        str(files / output),
    ]
    _run([*args, *(["--backend", backend] if backend else [])], {0, 2})


@pytest.mark.parametrize("target", ["a-file", "a-file/below", "fresh/dir"])
def test_tryon_samples(files: Path, target: str) -> None:
    (files / "a-file").write_bytes(b"x")
    _run(["tryon-samples", str(files / target)], {0, 2})


# -- commands that start servers or benchmarks: only arguments refused before they start -------


@pytest.fixture(scope="module")
def busy_port() -> Iterator[int]:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield int(taken.getsockname()[1])


def _not_an_int_within(low: int, high: int) -> st.SearchStrategy[str]:
    """Values that Typer must refuse for ``int = typer.Option(min=low, max=high)``.

    Typer's own conversion decides (it takes "15.00" and "1_0"), through a probe command with
    the same option: a value it accepted would start the real command for good.
    """
    probe = typer.Typer()

    @probe.command()
    def take(value: int = typer.Option(..., min=low, max=high)) -> None:
        """Accept one int option."""

    def refused(text: str) -> bool:
        return runner.invoke(probe, ["--value", text]).exit_code != 0

    samples = ["-1", "0", "70000", "abc", "", "1.5", "99999999999999999999", "0x10", "15.00"]
    return st.one_of(st.sampled_from(samples), _text).filter(refused)


_refused_before_starting = st.one_of(
    st.tuples(st.just("serve"), st.tuples(st.just("--base-port"), _not_an_int_within(1, 65532))),
    st.tuples(
        st.just("mcp"),
        st.tuples(st.just("--transport"), _text.filter(lambda t: t not in ("stdio", "http"))),
    ),
    st.tuples(st.just("mcp"), st.tuples(st.just("--port"), _not_an_int_within(1, 65535))),
    st.tuples(st.just("bench tryon"), st.tuples(st.just("--repeats"), _not_an_int_within(1, 50))),
    st.tuples(
        st.just("bench tryon"), st.tuples(st.just("--size"), st.sampled_from(["1", "99999", "x"]))
    ),
    st.tuples(st.just("bench startup"), st.tuples(st.just("--repeats"), _not_an_int_within(1, 50))),
    st.tuples(
        st.just("bench search"), st.tuples(st.just("--items"), st.sampled_from(["1", "x", "-5"]))
    ),
    st.tuples(
        st.sampled_from(["bench checkout", "bench payments"]),
        st.one_of(
            st.tuples(st.just("--seconds"), st.sampled_from(["0", "-1", "x", "0.1", "1e9", ""])),
            st.tuples(st.just("--concurrency"), _not_an_int_within(1, 64)),
            st.tuples(
                st.just("--database-url"),
                st.sampled_from(["mysql://x/y", "x", "", "sqlite://", "http://db"]),
            ),
        ),
    ),
    st.tuples(
        st.just("bench risk"),
        st.one_of(
            st.tuples(st.just("--seeds"), _not_an_int_within(1, 50)),
            st.tuples(st.just("--payments"), _not_an_int_within(100, 2_000_000)),
            st.tuples(st.just("--samples"), _not_an_int_within(10, 100_000)),
            st.tuples(st.just("--nope")),
        ),
    ),
    st.tuples(st.just("web"), st.tuples(st.just("--port"), _not_an_int_within(1, 65535))),
    st.tuples(
        st.just("relay"), st.tuples(st.just("--interval"), st.sampled_from(["0", "-1", "x", "1e9"]))
    ),
    st.tuples(
        st.sampled_from(
            ["demo", "serve", "mcp", "bench search", "bench checkout", "bench payments", "web"]
        ),
        st.tuples(st.just("--nope")),
    ),
)


@given(case=_refused_before_starting)
@SOME
@example(case=("mcp", ("--transport", "carrier-pigeon")))
@example(case=("web", ("--port", "0")))  # once accepted: the server started and the test hung
@example(case=("serve", ("--base-port", "65532")))
@example(case=("bench checkout", ("--database-url", "mysql://x/y")))
@example(case=("bench payments", ("--seconds", "0")))
def test_commands_that_start_things_refuse_bad_arguments_first(
    home: Path, case: tuple[str, tuple[str, ...]]
) -> None:
    command, arguments = case
    _run([*command.split(), *arguments], {2})


def test_bench_risk_refuses_a_bad_risk_config(home: Path) -> None:
    (home / "risk.toml").write_text("[velocity]\nmax_per_agent = 0\n", encoding="utf-8")
    try:
        result = _run(["bench", "risk", "--seeds", "1", "--payments", "100"], {2})
    finally:
        (home / "risk.toml").unlink()
    assert "max_per_agent must be a positive integer" in result.stderr


def test_serve_on_a_port_in_use_is_one_line(home: Path, busy_port: int) -> None:
    result = _run(["serve", "--base-port", str(busy_port)], {2})
    assert f"cannot listen on 127.0.0.1:{busy_port}" in result.stderr


@given(merchant=_junk)
@FEW
def test_feed_export(home: Path, files: Path, merchant: str) -> None:
    _run(["feed", "export", "--merchant", merchant, "-o", str(files / "feed.json")], {0, 2})
    _run(["feed", "export", "--merchant", "m_pearl_house", "-o", str(files)], {2})  # a folder


def test_demo_refuses_an_out_that_is_a_file(home: Path, files: Path) -> None:
    (files / "a-file").write_bytes(b"x")
    result = _run(["demo", "--out", str(files / "a-file")], {2})
    assert result.stderr.startswith("error: cannot write the evidence")


_COMMAND_NAMES = {
    "demo", "serve", "verify", "conformance", "chat", "mcp", "import", "search", "compare",
    "tryon", "tryon-samples", "bench", "web", "merchants", "roi", "orders", "delegations",
    "revoke", "evidence", "relay", "maintenance", "feed", "disputes", "standing",
}  # fmt: skip


@given(
    argv=st.lists(_junk.filter(lambda t: t.strip() not in _COMMAND_NAMES), min_size=1, max_size=3)
)
@SOME
def test_unknown_commands_and_junk(argv: list[str]) -> None:
    _run(argv, {0, 2})  # no real command name in argv: nothing can start


def test_every_command_is_exercised() -> None:
    group = typer.main.get_command(app)
    assert isinstance(group, TyperGroup)
    assert set(group.commands) == _COMMAND_NAMES
    merchants = group.commands["merchants"]
    assert isinstance(merchants, TyperGroup)
    assert set(merchants.commands) == {"add", "create", "list"}
    disputes = group.commands["disputes"]
    assert isinstance(disputes, TyperGroup)
    assert set(disputes.commands) == {"open", "list", "show", "appeal"}
    bench = group.commands["bench"]
    assert isinstance(bench, TyperGroup)
    assert set(bench.commands) == {"tryon", "startup", "search", "checkout", "payments", "risk"}
    standing = group.commands["standing"]
    assert isinstance(standing, TyperGroup)
    assert set(standing.commands) == {"add", "list", "run"}


@pytest.mark.parametrize(
    "args",
    [
        ["standing", "add"],
        ["standing", "run", "--every", "0"],
        ["standing", "run", "--every", "soon"],
        ["standing", "bogus"],
        ["standing", "list", "--yes"],
    ],
)
def test_standing_bad_arguments(args: list[str]) -> None:
    _run(args, {2})  # refused before any store or server is opened


_coordinate = st.one_of(_text, st.sampled_from(["30.25", "91", "-181", "NaN", "1e309", ""]))


@given(
    name=_text,
    lat=_coordinate,
    lon=_coordinate,
    category=st.one_of(_text, st.sampled_from(["drinks/milk-tea", "Drinks/Alcohol", "a/../b"])),
    extra=st.lists(
        st.sampled_from(
            [
                ("--radius-km", "-3"),
                ("--shipping-fee", "1e999"),
                ("--currency", "XXX"),
                ("--coupon", "fixed:5:20:five off"),
                ("--coupon", "nope"),
                ("--coupon", "percent:1e999:0:x"),
                ("--id", "../x"),
            ]
        ),
        max_size=2,
    ),
)
@FEW
def test_merchants_create(
    home: Path, name: str, lat: str, lon: str, category: str, extra: list[tuple[str, str]]
) -> None:
    args = ["merchants", "create", "--name", name, "--lat", lat, "--lon", lon]
    args += ["--category", category, "--json"]
    for option, value in extra:
        args += [option, value]
    _run(args, {0, 2})


@given(
    url=st.one_of(
        _text.filter(lambda t: "://" not in t),  # never a host beyond loopback
        st.sampled_from(
            ["ftp://127.0.0.1", "http://127.0.0.1:1", "http://127.0.0.1:1/x", "http://"]
        ),
    ),
    as_json=st.booleans(),
)
@FEW
def test_merchants_add(home: Path, url: str, as_json: bool) -> None:
    _run(["merchants", "add", url, *(["--json"] if as_json else [])], {1, 2})


def test_merchants_list_and_roi(home: Path) -> None:
    listed = _run(["merchants", "list", "--json"], {0})
    assert "merchants" in json.loads(listed.stdout)
    _run(["roi", "--json"], {0})


@given(days=_not_an_int_within(1, 366), currency=st.one_of(_text, st.just("XXX")))
@FEW
def test_roi_refuses_bad_options(home: Path, days: str, currency: str) -> None:
    _run(["roi", "--days", days], {2})
    _run(["roi", "--currency", currency], {0, 2})


@given(
    identifier=st.one_of(_text, st.sampled_from(["dlg_nope", "ord_nope", "../x", "x" * 400])),
)
@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_records_with_unknown_ids(home: Path, files: Path, identifier: str) -> None:
    _run(["revoke", identifier], {1, 2})
    _run(["evidence", identifier, "-o", str(files / "bundle.json")], {1, 2})


def test_records_lists_and_an_unwritable_evidence_path(home: Path, files: Path) -> None:
    _run(["orders", "--json"], {0})
    _run(["delegations", "--json"], {0})
    (files / "a-file").write_bytes(b"x")
    _run(["evidence", "ord_nope", "-o", str(files / "a-file" / "below.json")], {1, 2})


# -- relay and maintenance: the outbox of a store with nothing owed ------------------------


@given(
    url=st.sampled_from(["http://127.0.0.1:9", "not a url", "ftp://x", ""]) | _text,
    extra=st.lists(st.sampled_from(["--json", "--now"]), max_size=2, unique=True),
)
@FEW
def test_relay_once_and_maintenance_with_any_log_url(
    home: Path, url: str, extra: list[str]
) -> None:
    _run(["relay", "--once", "--log-url", url, *extra], {0, 1, 2})
    _run(["maintenance", "--log-url", url, *[e for e in extra if e == "--json"]], {0, 1, 2})


def test_relay_status_prints_json(home: Path) -> None:
    result = _run(["relay", "--status", "--json"], {0})
    assert isinstance(json.loads(result.stdout), dict)
