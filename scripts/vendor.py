"""`make vendor`: front-end libraries copied from npm tarballs: the staff console's into console/static/vendor/, the
mini-program stand-in's into miniprogram_mock/h5/vendor/ (`--dir`; each directory has its own manifest).

The console has no Node build step and loads nothing from a CDN: the server's own origin serves every script, style
sheet and image. console/static/vendor/manifest.json says which packages are vendored (name, exact version, SPDX
licence, the tarball's npm integrity) and, for each, which files of the package are kept, where they go (under
console/static/vendor/<dir>/) and their SHA-256. docs/console/vendor.md has the list.

    python3 scripts/vendor.py           refresh: `npm pack NAME@VERSION` each package in a temporary directory, check
                                        the tarball's sha512 against the manifest's integrity (recorded from npm's
                                        answer when the manifest has none: a new package or a version bump), extract
                                        only the listed files and the package's LICENSE, rewrite the manifest.
    python3 scripts/vendor.py --dir miniprogram_mock/h5/vendor [--check]   the same for another vendor directory
    python3 scripts/vendor.py --check   no network: every listed file is there with its recorded SHA-256 and nothing
                                        else is in the packages' directories; exits 1 naming each file that is not.

Standard library only (plain python3, no virtual environment needed); the refresh needs npm and the registry.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "console" / "static" / "vendor"
MANIFEST = VENDOR / "manifest.json"
# The package's own licence file, whatever it is called (the first found, in this order).
LICENSE_NAMES = ("LICENSE", "LICENSE.md", "LICENSE.txt", "LICENCE", "LICENCE.md", "LICENCE.txt")
TARBALL_PREFIX = "package"


class VendorError(Exception):
    """Anything that stops a refresh or fails a check; the message names the package or the file."""


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def safe_relative(path: str, what: str) -> PurePosixPath:
    """A relative POSIX path with no `..`: refuses absolute paths, backslashes and escapes from the directory."""
    p = PurePosixPath(path)
    if not path or "\\" in path or p.is_absolute() or ".." in p.parts or any(part in ("", ".") for part in p.parts):
        raise VendorError(f"{what}: unsafe path {path!r} (absolute, `..` or empty)")
    return p


def load_manifest() -> dict:
    if not MANIFEST.is_file():
        raise VendorError(f"{MANIFEST.relative_to(ROOT)} is missing")
    try:
        manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise VendorError(f"{MANIFEST.relative_to(ROOT)} is not valid JSON: {exc}") from exc
    dirs = []
    for pkg in manifest.setdefault("packages", []):
        for key in ("name", "version", "dir", "files"):
            if key not in pkg:
                raise VendorError(f"manifest: package {pkg.get('name', '?')} has no {key!r}")
        dirs.append(safe_relative(pkg["dir"], f"{pkg['name']} dir"))
        for f in pkg["files"]:
            safe_relative(f["path"], f"{pkg['name']} path")
            safe_relative(f["dest"], f"{pkg['name']} dest")
    # Each package owns its directory (stale files in it are removed): no two may share or nest.
    for a in dirs:
        if dirs.count(a) > 1 or any(a != b and a.is_relative_to(b) for b in dirs):
            raise VendorError(f"manifest: directory {a} is shared with another package")
    return manifest


def write_manifest(manifest: dict) -> None:
    manifest["packages"].sort(key=lambda p: p["name"])
    for pkg in manifest["packages"]:
        pkg["files"].sort(key=lambda f: f["path"])
    text = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    tmp = MANIFEST.with_suffix(".json.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, MANIFEST)


def package_files(pkg: dict) -> list[dict]:
    """The package's file entries, its LICENSE included (refresh records it as `license_file`)."""
    return pkg["files"] + ([pkg["license_file"]] if "license_file" in pkg else [])


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sri_sha512(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


# ---------------------------------------------------------------- refresh


def npm_pack(spec: str, workdir: Path) -> tuple[Path, str]:
    """`npm pack SPEC --json` in workdir: the tarball's path and the integrity npm reports for it."""
    cmd = ["npm", "pack", spec, "--json", "--ignore-scripts", "--pack-destination", str(workdir)]
    run = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True)
    if run.returncode != 0:
        raise VendorError(f"{spec}: `{' '.join(cmd[:3])}` failed ({run.returncode}):\n{run.stderr.strip()}")
    try:
        answer = json.loads(run.stdout)[0]
        return workdir / answer["filename"], answer["integrity"]
    except (ValueError, LookupError, TypeError) as exc:
        raise VendorError(f"{spec}: unexpected `npm pack --json` output: {run.stdout[:500]!r}") from exc


def tar_members(tar: tarfile.TarFile, spec: str) -> dict[str, tarfile.TarInfo]:
    """The tarball's regular files by their path inside the package (the leading `package/` removed)."""
    members = {}
    for m in tar.getmembers():
        name = safe_relative(m.name, f"{spec} tarball member")
        if m.isfile() and len(name.parts) > 1 and name.parts[0] == TARBALL_PREFIX:
            members[str(PurePosixPath(*name.parts[1:]))] = m
    return members


def read_member(tar: tarfile.TarFile, members: dict[str, tarfile.TarInfo], path: str, spec: str) -> bytes:
    if path not in members:
        raise VendorError(f"{spec}: the tarball has no {path!r}")
    fh = tar.extractfile(members[path])
    if fh is None:
        raise VendorError(f"{spec}: {path!r} is not a regular file")
    with fh:
        return fh.read()


def spdx_license(meta: dict, spec: str) -> str:
    lic = meta.get("license")
    if isinstance(lic, dict):  # the old {"type": ..., "url": ...} form
        lic = lic.get("type")
    if not lic and isinstance(meta.get("licenses"), list):
        lic = " OR ".join(x.get("type", "?") for x in meta["licenses"])
    if not lic:
        raise VendorError(f"{spec}: package.json states no license")
    return lic


def verify_integrity(pkg: dict, spec: str, tarball: bytes, npm_integrity: str) -> str:
    computed = sri_sha512(tarball)
    if computed != npm_integrity:
        raise VendorError(f"{spec}: the tarball's sha512 {computed} is not the {npm_integrity} npm reported")
    recorded = pkg.get("integrity")
    if recorded and recorded != computed:
        raise VendorError(f"{spec}: the tarball's sha512 {computed} does not match the manifest's integrity "
                          f"{recorded} (after a version bump, delete the package's integrity so it is recorded anew)")
    return computed


def fetch_package(pkg: dict, workdir: Path) -> dict[Path, bytes]:
    """Pack one package, check it, update its manifest entry; returns what to write (destination → content)."""
    spec = f"{pkg['name']}@{pkg['version']}"
    tar_path, npm_integrity = npm_pack(spec, workdir)
    tarball = tar_path.read_bytes()
    pkg["integrity"] = verify_integrity(pkg, spec, tarball, npm_integrity)
    out: dict[Path, bytes] = {}
    base = VENDOR / pkg["dir"]
    with tarfile.open(tar_path, mode="r:gz") as tar:
        members = tar_members(tar, spec)
        meta = json.loads(read_member(tar, members, "package.json", spec))
        if (meta.get("name"), meta.get("version")) != (pkg["name"], pkg["version"]):
            raise VendorError(f"{spec}: the tarball is {meta.get('name')}@{meta.get('version')}")
        license_id = spdx_license(meta, spec)
        if pkg.get("license") and pkg["license"] != license_id:
            say(f"  note: {pkg['name']}'s licence changed from {pkg['license']} to {license_id}")
        pkg["license"] = license_id
        license_path = next((n for n in LICENSE_NAMES if n in members), None)
        if license_path is None:
            raise VendorError(f"{spec}: no licence file ({', '.join(LICENSE_NAMES)}) in the tarball")
        pkg["license_file"] = {"path": license_path, "dest": PurePosixPath(license_path).name}
        for entry in package_files(pkg):
            data = read_member(tar, members, entry["path"], spec)
            entry["sha256"] = sha256_hex(data)
            out[base / entry["dest"]] = data
    if len(out) != len(package_files(pkg)):
        raise VendorError(f"{spec}: two files share one destination")
    return out


def write_files(files: dict[Path, bytes]) -> None:
    for dest, data in files.items():
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, dest)


def remove_stale(manifest: dict) -> None:
    """Files in a package's directory that the manifest no longer lists (an older version's) are removed."""
    for pkg in manifest["packages"]:
        base = VENDOR / pkg["dir"]
        keep = {base / f["dest"] for f in package_files(pkg)}
        for path in sorted(base.rglob("*")):
            if path.is_file() and path not in keep:
                say(f"  removed {path.relative_to(ROOT)} (not in the manifest)")
                path.unlink()


def refresh() -> None:
    manifest = load_manifest()
    staged: dict[Path, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="vendor-") as tmp:
        for pkg in manifest["packages"]:
            files = fetch_package(pkg, Path(tmp))
            staged.update(files)
            size = sum(len(d) for d in files.values())
            say(f"{pkg['name']} {pkg['version']} ({pkg['license']}): {len(files)} files, {size:,} bytes "
                f"→ {(VENDOR / pkg['dir']).relative_to(ROOT)}/")
    # Nothing is written until every package has been fetched and checked.
    write_files(staged)
    remove_stale(manifest)
    write_manifest(manifest)
    say(f"wrote {MANIFEST.relative_to(ROOT)}")


# ---------------------------------------------------------------- check


def check_package(pkg: dict) -> tuple[int, list[str]]:
    """The bytes of the package's files and what is wrong with them (each problem names its file)."""
    base = VENDOR / pkg["dir"]
    if "license_file" not in pkg or "integrity" not in pkg:
        return 0, [f"{pkg['name']} {pkg['version']} was never refreshed (no license_file or integrity): make vendor"]
    total, problems = 0, []
    for entry in package_files(pkg):
        path = base / entry["dest"]
        rel = path.relative_to(ROOT)
        if not path.is_file():
            problems.append(f"{rel} is missing ({pkg['name']} {pkg['version']}: {entry['path']})")
            continue
        data = path.read_bytes()
        total += len(data)
        if sha256_hex(data) != entry.get("sha256"):
            problems.append(f"{rel} has SHA-256 {sha256_hex(data)}, the manifest says {entry.get('sha256')} "
                            f"({pkg['name']} {pkg['version']}: {entry['path']})")
    keep = {base / f["dest"] for f in package_files(pkg)}
    for path in sorted(base.rglob("*")):
        if path.is_file() and path not in keep:
            problems.append(f"{path.relative_to(ROOT)} is not in the manifest ({pkg['name']}'s directory)")
    return total, problems


def check() -> None:
    manifest = load_manifest()
    failed = []
    for pkg in manifest["packages"]:
        total, problems = check_package(pkg)
        label = f"{pkg['name']} {pkg['version']} ({pkg.get('license', '?')}, {pkg.get('used_by', '?')})"
        if problems:
            say(f"FAILED {label}: {len(problems)} problem(s)")
            failed += problems
        else:
            say(f"ok {label}: {len(package_files(pkg))} files, {total:,} bytes")
    if failed:
        raise VendorError("\n".join([f"vendored files do not match {MANIFEST.relative_to(ROOT)} "
                                      "(`make vendor` restores them):"] + [f"  {p}" for p in failed]))


def main(argv: list[str] | None = None) -> int:
    global VENDOR, MANIFEST
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify the vendored files against the manifest (offline)")
    parser.add_argument("--dir", default=str(VENDOR.relative_to(ROOT)),
                        help="the vendor directory, relative to the repository (default: the console's)")
    args = parser.parse_args(argv)
    VENDOR = ROOT / safe_relative(args.dir, "--dir")
    MANIFEST = VENDOR / "manifest.json"
    try:
        if args.check:
            check()
        else:
            refresh()
    except VendorError as exc:
        sys.stderr.write(f"vendor: {exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
