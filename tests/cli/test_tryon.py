"""``trustcart tryon`` and ``trustcart bench tryon`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

np = pytest.importorskip("numpy")
pytest.importorskip("cv2")
pytest.importorskip("skimage")

from trustcart.cli import commands  # noqa: E402, F401
from trustcart.cli.app import app  # noqa: E402
from trustcart.tryon.images import decode_rgb, encode_png  # noqa: E402

runner = CliRunner()


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    result = runner.invoke(app, ["tryon-samples", str(tmp_path)])
    assert result.exit_code == 0, result.output
    return tmp_path


def test_tryon_writes_a_photo_sized_png_with_the_shirt_on_the_torso(samples: Path) -> None:
    out = samples / "out.png"
    result = runner.invoke(
        app,
        [
            "tryon",
            str(samples / "astronaut.png"),
            str(samples / "tshirt.png"),
            "--category",
            "upper",
            "-o",
            str(out),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout[result.stdout.index("{") :])
    before = decode_rgb((samples / "astronaut.png").read_bytes())
    after = decode_rgb(out.read_bytes())
    assert after.shape == before.shape == (512, 512, 3)
    left, top, right, bottom = report["region"]
    assert top > 160
    assert bottom > 400
    assert left < 220 < right
    assert report["approximate"] is True


def test_tryon_eyewear_lands_over_the_eyes(samples: Path) -> None:
    out = samples / "glasses-on.png"
    result = runner.invoke(
        app,
        [
            "tryon",
            str(samples / "astronaut.png"),
            str(samples / "glasses.png"),
            "-c",
            "eyewear",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Approximate preview" in result.stdout
    before = decode_rgb((samples / "astronaut.png").read_bytes())
    moved = np.abs(decode_rgb(out.read_bytes()).astype(int) - before.astype(int)).sum(axis=2)
    assert moved[99:104, 200:206].min() > 30
    assert moved[100:106, 244:250].min() > 30
    assert moved[200:].max() == 0


def test_tryon_refuses_unusable_photo_with_exit_2(samples: Path) -> None:
    from skimage import data

    cat = samples / "cat.png"
    cat.write_bytes(encode_png(np.ascontiguousarray(data.chelsea())))
    result = runner.invoke(
        app,
        [
            "tryon",
            str(cat),
            str(samples / "cap.png"),
            "-c",
            "headwear",
            "-o",
            str(samples / "x.png"),
        ],
    )
    assert result.exit_code == 2
    assert "[no-person]" in result.stderr
    assert not (samples / "x.png").exists()
    bad = runner.invoke(app, ["tryon", str(cat), str(cat), "-c", "shoes", "-o", "x.png"])
    assert bad.exit_code == 2
    assert "upper, eyewear or headwear" in bad.stderr


def test_bench_tryon_json_reports_medians() -> None:
    result = runner.invoke(app, ["bench", "tryon", "--json", "--repeats", "1", "--size", "256"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout[result.stdout.index("{") :])
    assert report["benchmark"] == "tryon"
    rows = report["results"]
    assert {row["category"] for row in rows} == {"upper", "eyewear", "headwear"}
    assert all(
        row["size"] == 256 and row["end_to_end_ms"] >= row["pipeline_ms"] > 0 for row in rows
    )
