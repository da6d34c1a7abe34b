"""Check (or refresh) the browser assets committed from npm packages, against the registry.

Each vendored folder has a ``VENDORED.json``: the npm package, its version, the tarball's
integrity (as the registry publishes it) and, per committed file, the path inside the package
and its SHA-256. Nothing is fetched at run time: the app serves the committed files.

    python scripts/vendor_assets.py            # offline: committed files match VENDORED.json
    python scripts/vendor_assets.py --fetch    # npm pack each package, verify its integrity,
                                               # and compare every file with the tarball's
    python scripts/vendor_assets.py --fetch --write   # the same, copying the files in

``--fetch`` needs ``npm`` and the registry; the offline check is run by the tests.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = (
    ROOT / "src" / "trustcart" / "web" / "static" / "vendor",
    ROOT / "src" / "trustcart" / "api" / "static" / "swagger-ui",
)


def check_committed(folder: Path) -> list[str]:
    manifest = json.loads((folder / "VENDORED.json").read_text(encoding="utf-8"))
    problems = []
    for name, entry in manifest["files"].items():
        path = folder / name
        if not path.exists():
            problems.append(f"{path}: missing")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != entry["sha256"]:
            problems.append(f"{path}: sha256 differs from VENDORED.json")
    return problems


def check_against_registry(folder: Path, *, write: bool) -> list[str]:
    manifest = json.loads((folder / "VENDORED.json").read_text(encoding="utf-8"))
    spec = f"{manifest['package']}@{manifest['version']}"
    problems = []
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run(  # noqa: S603 - fixed arguments, the package name comes from the manifest
            ["npm", "pack", spec, "--silent", "--pack-destination", scratch],  # noqa: S607
            check=True,
            capture_output=True,
        )
        tarball = next(Path(scratch).glob("*.tgz"))
        algorithm, _, expected = manifest["tarball_integrity"].partition("-")
        digest = base64.b64encode(hashlib.new(algorithm, tarball.read_bytes()).digest()).decode()
        if digest != expected:
            return [f"{spec}: tarball integrity differs from VENDORED.json"]
        with tarfile.open(tarball) as archive:
            for name, entry in manifest["files"].items():
                member = archive.extractfile(f"package/{entry['from']}")
                if member is None:
                    problems.append(f"{spec}: no {entry['from']}")
                    continue
                data = member.read()
                if write:
                    (folder / name).write_bytes(data)
                    entry["sha256"] = hashlib.sha256(data).hexdigest()
                elif hashlib.sha256(data).hexdigest() != entry["sha256"]:
                    problems.append(f"{spec}: {entry['from']} differs from the committed {name}")
    if write:
        (folder / "VENDORED.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fetch", action="store_true", help="compare with the npm tarballs")
    parser.add_argument("--write", action="store_true", help="with --fetch: copy the files in")
    args = parser.parse_args()
    problems = []
    for folder in FOLDERS:
        if args.fetch:
            problems += check_against_registry(folder, write=args.write)
        problems += check_committed(folder)
    for problem in problems:
        sys.stderr.write(problem + "\n")
    sys.stdout.write(
        "vendored assets: " + ("ok\n" if not problems else f"{len(problems)} problems\n")
    )
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
