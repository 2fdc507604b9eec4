"""Install the .deb into a scratch root and smoke-test it there: ``python check_deb.py DEB``.

``dpkg -x`` unpacks the package into a temporary folder (no root, no change to the
system's package database), then:

1. the desktop entry is checked: its ``Exec``/``TryExec`` point at the installed
   executable, its ``MimeType`` lists the image types, its icon exists in hicolor;
2. the whole frozen smoke test (packaging/smoke_test.py: start time, self-test compared
   with the installed package, CLI, screenshot) runs on ``ROOT/opt/facedesk``;
3. "Open with facedesk": the entry's ``Exec`` line, with ``%F`` replaced by a photo, is
   run (offscreen, screenshot mode so that it exits) and the photo must end up indexed.
"""

from __future__ import annotations

import argparse
import configparser
import json
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import smoke_test  # noqa: E402  (packaging/smoke_test.py, a script beside this folder)
from smoke_test import SmokeFailure, isolated_env, require, run  # noqa: E402

IMAGE_TYPES = ("image/jpeg", "image/png")
PREFIX = "/opt/facedesk"


def unpack(deb: Path, root: Path) -> None:
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    info = subprocess.run(["dpkg-deb", "-f", str(deb)], capture_output=True, text=True)
    print(info.stdout.strip())


def desktop_entry(root: Path) -> dict[str, str]:
    path = root / "usr" / "share" / "applications" / "facedesk.desktop"
    if not path.is_file():
        raise SmokeFailure("the package has no /usr/share/applications/facedesk.desktop")
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    entry = dict(parser["Desktop Entry"])
    argv = shlex.split(entry.get("Exec", ""))
    if not argv or "%F" not in argv:
        raise SmokeFailure(f"Exec must pass the files (%F): {entry.get('Exec')!r}")
    for key, target in (("Exec", argv[0]), ("TryExec", entry.get("TryExec", ""))):
        installed = root / target.lstrip("/")
        if not target.startswith(PREFIX) or not installed.is_file():
            raise SmokeFailure(f"{key}={target} is not an executable of the package")
    types = [t for t in entry.get("MimeType", "").split(";") if t]
    missing = [t for t in IMAGE_TYPES if t not in types]
    if missing:
        raise SmokeFailure(f"MimeType lacks {missing}: no 'Open with facedesk' for them")
    icon = entry.get("Icon", "")
    icons = list((root / "usr" / "share" / "icons" / "hicolor").glob(f"*/apps/{icon}.*"))
    if not icons:
        raise SmokeFailure(f"no hicolor icon named {icon!r}")
    for link in ("facedesk", "facedesk-cli"):
        if not (root / "usr" / "bin" / link).resolve().is_file():
            raise SmokeFailure(f"/usr/bin/{link} does not lead to the bundle")
    print(f"desktop entry ok: Exec={entry['Exec']}, {len(types)} MIME types, {len(icons)} icons")
    return entry


def open_with(root: Path, entry: dict[str, str], work: Path) -> dict[str, Any]:
    """Run the entry's Exec line on a photo as a file manager would; the photo is indexed."""
    photo = work / "opened.jpg"
    photo.write_bytes(smoke_test._selftest_photo(root / PREFIX.lstrip("/")))
    database, shot = work / "opened.db", work / "opened.png"
    argv = [str(photo) if a == "%F" else a for a in shlex.split(entry["Exec"])]
    argv[0] = str(root / argv[0].lstrip("/"))
    env = isolated_env(work / "open-home")
    cmd = [*argv, "--database", str(database), "--screenshot", str(shot)]
    ran = run(cmd, env, smoke_test.SELF_TEST_TIMEOUT_S)
    require(ran, "Open with facedesk (Exec line with a photo)")
    cli = root / PREFIX.lstrip("/") / "facedesk-cli"
    ran = run([str(cli), "--database", str(database), "list-collections"], env, 120)
    require(ran, "cli list-collections after Open with")
    collections = json.loads(ran.stdout)["CollectionIds"]
    if len(collections) != 1:
        raise SmokeFailure(f"Open with created collections {collections!r}, expected one")
    ran = run(
        [str(cli), "--database", str(database), "list-faces", "--collection-id", collections[0]],
        env,
        120,
    )
    require(ran, "cli list-faces after Open with")
    faces = json.loads(ran.stdout)["Faces"]
    if not faces or {f["ExternalImageId"] for f in faces} != {photo.name}:
        raise SmokeFailure(f"Open with did not index {photo.name}: {faces!r}")
    print(f"Open with facedesk ok: {len(faces)} face(s) of {photo.name} indexed")
    return {"collection": collections[0], "faces": len(faces)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("deb", type=Path)
    parser.add_argument("--installed-python", help="compare with this Python's facedesk")
    parser.add_argument("--no-compare", action="store_true")
    parser.add_argument("--report", type=Path)
    args = parser.parse_args(argv)
    installed = None
    if not args.no_compare:
        installed = args.installed_python or smoke_test.default_installed_python()
    with tempfile.TemporaryDirectory(prefix="facedesk-deb-") as tmp:
        root, work = Path(tmp) / "root", Path(tmp) / "work"
        work.mkdir()
        try:
            unpack(args.deb, root)
            entry = desktop_entry(root)
            report = smoke_test.smoke(root / PREFIX.lstrip("/"), installed, work)
            report["open_with"] = open_with(root, entry, work)
        except (SmokeFailure, subprocess.TimeoutExpired) as error:
            print(f"DEB SMOKE TEST FAILED: {error}", file=sys.stderr)
            return 1
    report["deb"] = str(args.deb)
    report["deb_mb"] = round(args.deb.stat().st_size / 1e6, 1)
    if args.report:
        args.report.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print("installed .deb passed the smoke test")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
