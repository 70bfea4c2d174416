"""`make pi-check`: prove that `pip install .[edge]` works on a Raspberry Pi's 64-bit OS, and
that the Pi reads the sample images exactly as this machine does.

1. Wheels. The project wheel and the `edge` extra are resolved for aarch64 with
   `pip download --only-binary=:all:`: for `manylinux_2_17_aarch64` alone (any 64-bit Arm
   Linux; required for bookworm's Python 3.11), for every manylinux tag the Pi OS's glibc
   accepts (what pip on the Pi really installs), and at the lowest versions pyproject allows.
   No step may need a compiler.
2. Emulation. An arm64 Debian root of the same suite as the Pi OS (debootstrap; Raspberry Pi
   OS 64-bit is Debian bookworm with Python 3.11, or since late 2025 trixie with Python 3.13)
   runs under qemu-user-static: a venv made as the README says, `pip install --no-index` of
   exactly the wheels from step 1, then `digits read --json` on edge/samples; its JSON must
   match this machine's: the same boxes, labels and numbers, confidences within 0.05.

Needs root, debootstrap, qemu-user-static and binfmt_misc for step 2; as root with apt it
installs the first two itself. `--wheels-only` stops after step 1. Stdlib only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Raspberry Pi OS 64-bit by the Debian suite it is built on: (its Python, its glibc's minor version)
SUITES = {"bookworm": ("3.11", 36), "trixie": ("3.13", 41)}
MIRROR = "http://deb.debian.org/debian"
STAMP = ".digits-pi-root-complete"
# What must match: every box, label and number text exactly. A confidence may move a few int8
# steps (1/256) where pip gives the Pi another NumPy than this machine (trixie's Python 3.13 gets
# NumPy 2.5, which moved one marginal digit of hard.jpg by 5 steps); more than this is a failure.
CONFIDENCE_TOLERANCE = 0.05
# Installed beside the edge extra on a Pi (README.md, "On a Raspberry Pi"): apt's python3-simplejpeg, which
# picamera2 imports, is built for bookworm's NumPy 1.24 and fails to import beside the venv's
# NumPy 2 ("numpy.dtype size changed"); PyPI's wheel in the venv works with NumPy 2.
PI_EXTRAS = ["simplejpeg"]
CLEAN_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root",
             "LANG": "C.UTF-8", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--suite", choices=sorted(SUITES), default="bookworm",
                    help="the Debian suite of the Pi OS to check [%(default)s]")
    ap.add_argument("--work", type=Path, default=ROOT / "build" / "pi-check", help="wheels and results")
    ap.add_argument("--pi-root", type=Path, default=None,
                    help="the arm64 Debian root, made once and reused "
                         "[$XDG_CACHE_HOME or ~/.cache, then digits/pi-root-SUITE-arm64]")
    ap.add_argument("--wheels-only", action="store_true", help="resolve wheels, skip the emulation")
    ap.add_argument("--samples", type=Path, default=ROOT / "edge" / "samples",
                    help="a folder of images to read on both [%(default)s]")
    ap.add_argument("--model", type=Path, default=None,
                    help="a .tflite model to read with on both [the shipped int8 model]")
    args = ap.parse_args()
    suite, (python, glibc_minor) = args.suite, SUITES[args.suite]
    work = args.work.resolve() / suite
    work.mkdir(parents=True, exist_ok=True)
    pi_root = (args.pi_root or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
               / "digits" / f"pi-root-{suite}-arm64").resolve()

    project = build_project_wheel(work / "dist")
    # manylinux_2_17 alone is the brief's floor for bookworm; LiteRT's Python 3.13 wheels need 2_27
    strict = resolve(project, work / "wheels-manylinux_2_17", python, ["manylinux_2_17_aarch64"],
                     required=suite == "bookworm")
    pi_tags = [f"manylinux_2_{m}_aarch64" for m in range(17, glibc_minor + 1)]
    pi = resolve(project, work / "wheels-pi", python, pi_tags, tuple(PI_EXTRAS))
    floors = resolve_floors(work / "wheels-floors", python, pi_tags, required=suite == "bookworm")
    say(f"\naarch64 wheels for Python {python}, no sdist, no compiler:")
    say(f"  {'package':<24} {'manylinux_2_17 only':<20} {f'Pi OS {suite} (2.{glibc_minor})':<22}"
        f"{'lowest allowed':<20} {'this machine'}")
    for name in sorted(set(strict) | set(pi)):
        say(f"  {name:<24} {strict.get(name, '-'):<20} {pi.get(name, '-'):<22}"
            f"{floors.get(name, ''):<20} {installed(name)}")
    if args.wheels_only:
        return 0

    missing = ensure_emulation_tools()
    if missing:
        return fail("cannot emulate the Pi here: " + "; ".join(missing)
                    + ". The wheel resolution above stands; re-run with --wheels-only to skip this.")
    make_pi_root(pi_root, suite)
    samples = sorted(p for p in args.samples.glob("*") if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
    if not samples:
        return fail(f"no sample images in {args.samples}")
    model = args.model.resolve() if args.model else None
    here = read_here(samples, model)
    there = read_on_pi(pi_root, project, work / "wheels-pi", samples, model)
    (work / "read-x86_64.json").write_text(json.dumps(here, indent=1) + "\n")
    (work / "read-aarch64.json").write_text(json.dumps(there, indent=1) + "\n")
    problems, worst = compare(here, there)
    if problems:
        say("\n".join(problems))
        return fail(f"the emulated Pi read the samples differently (both in {work})")
    digits = sum(len(r["digits"]) for r in here)
    say(f"\nOK: on emulated aarch64 ({suite}, Python {python}) `digits read --json` reads the "
        f"{len(here)} samples as {platform.machine()} does: the same {digits} digits, boxes and "
        f"numbers; confidences " + ("identical" if worst == 0 else f"within {worst:.4f}"))
    return 0


# --- 1. wheels ----------------------------------------------------------------------------------

def build_project_wheel(dist: Path) -> Path:
    shutil.rmtree(dist, ignore_errors=True)
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist), str(ROOT)],
        quiet=True)
    (wheel,) = dist.glob("digits-*.whl")
    return wheel


def resolve(project: Path, dest: Path, python: str, platforms: list[str],
            extras: tuple[str, ...] = (), required: bool = True) -> dict[str, str]:
    """pip download the edge extra for aarch64: {distribution: version} of every wheel it took."""
    shutil.rmtree(dest, ignore_errors=True)
    abi = "cp" + python.replace(".", "")
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:",
           "--python-version", python, "--implementation", "cp", "--abi", abi, "--abi", "abi3",
           "--abi", "none", "-d", str(dest)]
    for tag in platforms:
        cmd += ["--platform", tag]
    say(f"resolving digits[edge] for {platforms[0]}{' … ' + platforms[-1] if len(platforms) > 1 else ''}")
    if run(cmd + [f"{project}[edge]", *extras], check=required) is None:
        say("  no complete set of wheels for these tags (informational for this suite)")
        return {}
    found = {}
    for wheel in sorted(dest.glob("*.whl")):
        name, version, *_, plat = wheel.stem.split("-")
        if name != "digits":
            found[name] = version if plat == "any" else f"{version} ({short_tag(plat)})"
    return found


def resolve_floors(dest: Path, python: str, platforms: list[str], required: bool) -> dict[str, str]:
    """The oldest release each `>=` bound of the edge extra admits should have an aarch64 wheel
    too (for Python 3.13 several cannot: NumPy 1.24 predates it; pip takes newer ones there)."""
    import re

    import tomllib

    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["edge"]
    pins = []
    for requirement in extra:
        m = re.match(r"\s*([A-Za-z0-9_.-]+)\s*>=\s*([0-9]+(?:\.[0-9]+)?)", requirement)
        if m:
            pins.append(f"{m[1]}=={m[2]}.*")
    shutil.rmtree(dest, ignore_errors=True)
    abi = "cp" + python.replace(".", "")
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
           "--python-version", python, "--implementation", "cp", "--abi", abi, "--abi", "abi3",
           "--abi", "none", "-d", str(dest)]
    for tag in platforms:
        cmd += ["--platform", tag]
    say(f"resolving the lowest releases the edge extra allows: {' '.join(pins)}")
    found = {}
    for pin in pins:
        if run(cmd + [pin], quiet=True, check=required) is None:
            found[pin.split("==")[0].replace("-", "_")] = "no wheel"
    for wheel in sorted(dest.glob("*.whl")):
        name, version, *_, plat = wheel.stem.split("-")
        found[name] = version if plat == "any" else f"{version} ({short_tag(plat)})"
    return found


def installed(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


def short_tag(plat: str) -> str:
    tags = [t for t in plat.split(".") if t.startswith("manylinux_")]
    return tags[0].replace("_aarch64", "").replace("manylinux", "ml") if tags else plat


# --- 2. the emulated Pi -------------------------------------------------------------------------

def ensure_emulation_tools() -> list[str]:
    """What is still missing for an arm64 chroot after trying to set it up (empty: all set)."""
    if platform.machine() == "aarch64":
        return []
    if os.geteuid() != 0:
        return ["debootstrap and chroot need root"]
    if not (shutil.which("debootstrap") and shutil.which("qemu-aarch64-static")) and shutil.which("apt-get"):
        say("installing debootstrap, qemu-user-static, binfmt-support with apt-get")
        subprocess.run("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "
                       "debootstrap qemu-user-static binfmt-support >/dev/null", shell=True, check=False)
    missing = [f"no {tool} (apt-get install {pkg})" for tool, pkg in
               (("debootstrap", "debootstrap"), ("qemu-aarch64-static", "qemu-user-static"))
               if not shutil.which(tool)]
    binfmt = Path("/proc/sys/fs/binfmt_misc")
    if not (binfmt / "register").exists():
        subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(binfmt)],
                       stderr=subprocess.DEVNULL, check=False)
    if not (binfmt / "qemu-aarch64").exists() and shutil.which("update-binfmts"):
        subprocess.run(["update-binfmts", "--enable", "qemu-aarch64"], stderr=subprocess.DEVNULL, check=False)
    if not (binfmt / "qemu-aarch64").exists():
        missing.append("no qemu-aarch64 handler in binfmt_misc (a container may not allow "
                       "`mount -t binfmt_misc` or `update-binfmts --enable qemu-aarch64`)")
    return missing


def make_pi_root(root: Path, suite: str) -> Path:
    if (root / STAMP).is_file():
        say(f"arm64 {suite} root: {root} (made before; delete it to start afresh)")
        return root
    shutil.rmtree(root, ignore_errors=True)
    root.parent.mkdir(parents=True, exist_ok=True)
    say(f"making an arm64 {suite} root in {root} with debootstrap (once; some minutes)")
    run(["debootstrap", "--arch=arm64", "--variant=minbase", "--include=python3,python3-venv",
         suite, str(root), MIRROR], quiet=True)
    (root / STAMP).write_text("debootstrap finished\n")
    return root


def read_here(samples: list[Path], model: Path | None) -> list[dict]:
    digits = Path(sys.executable).parent / "digits"
    with_model = ["--model", str(model)] if model else []
    out = run([str(digits), "read", "--json", *with_model, *map(str, samples)], capture=True)
    return parse(out)


def read_on_pi(root: Path, project: Path, wheels: Path, samples: list[Path],
               model: Path | None) -> list[dict]:
    """A fresh venv in the arm64 root, the resolved wheels installed offline, the samples read."""
    inside = root / "opt" / "digits-check"
    shutil.rmtree(inside, ignore_errors=True)
    (inside / "wheels").mkdir(parents=True)
    (inside / "samples").mkdir()
    for wheel in [project, *wheels.glob("*.whl")]:
        shutil.copy2(wheel, inside / "wheels")
    for sample in samples:
        shutil.copy2(sample, inside / "samples")
    with_model = []
    if model:
        shutil.copy2(model, inside / model.name)
        with_model = ["--model", f"/opt/digits-check/{model.name}"]
    # /proc only: with the host's /sys mounted, XNNPACK's cpuinfo trusts the x86 CPU's topology
    # and crashes under qemu; without it, it says so ("Error in cpuinfo") and runs correctly.
    mounted = [root / "proc"] if subprocess.run(
        ["mount", "-t", "proc", "proc", str(root / "proc")], check=False).returncode == 0 else []
    try:
        say("emulated aarch64: python3 -m venv --system-site-packages, pip install --no-index "
            f"digits[edge] {' '.join(PI_EXTRAS)}")
        chroot(root, "python3", "-m", "venv", "--system-site-packages", "/opt/digits-check/venv")
        chroot(root, "/opt/digits-check/venv/bin/pip", "install", "--quiet", "--no-index",
               "--find-links", "/opt/digits-check/wheels", f"digits[edge]=={project.name.split('-')[1]}",
               *PI_EXTRAS)
        chroot(root, "/opt/digits-check/venv/bin/python", "-c",
               "import numpy, simplejpeg; simplejpeg.encode_jpeg(numpy.zeros((8, 8, 3), numpy.uint8))")
        say("emulated aarch64: digits read --json on the samples")
        out = chroot(root, "/opt/digits-check/venv/bin/digits", "read", "--json", *with_model,
                     *(f"/opt/digits-check/samples/{s.name}" for s in samples), capture=True)
    finally:
        for point in mounted:
            subprocess.run(["umount", str(point)], check=False)
    return parse(out)


def chroot(root: Path, *cmd: str, capture: bool = False) -> str:
    return run(["chroot", str(root), *cmd], capture=capture, env=CLEAN_ENV)


# --- comparing ----------------------------------------------------------------------------------

def parse(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip().startswith("{")]


def compare(here: list[dict], there: list[dict]) -> tuple[list[str], float]:
    """(what differs beyond the tolerance, the largest confidence difference)."""
    if len(here) != len(there):
        return [f"{len(here)} results here, {len(there)} on the Pi"], 0.0
    problems, largest = [], 0.0
    for a, b in zip(here, there):
        name = Path(a["image"] or "?").name
        for key in ("frame", "width", "height"):
            if a[key] != b[key]:
                problems.append(f"{name}: {key} {a[key]} here, {b[key]} on the Pi")
        for kind, exact in (("digits", ("box", "label")), ("numbers", ("box", "text"))):
            mine, theirs = a[kind], b[kind]
            if [[d[k] for k in exact] for d in mine] != [[d[k] for k in exact] for d in theirs]:
                problems.append(f"{name}: {kind} differ:\n  here {mine}\n  Pi   {theirs}")
                continue
            worst = max((abs(d["confidence"] - e["confidence"]) for d, e in zip(mine, theirs)), default=0.0)
            largest = max(largest, worst)
            if worst > CONFIDENCE_TOLERANCE:
                problems.append(f"{name}: {kind} confidences differ by up to {worst:.4f}")
    return problems, largest


# --- plumbing -----------------------------------------------------------------------------------

def run(cmd: list[str], capture: bool = False, quiet: bool = False, env: dict | None = None,
        check: bool = True) -> str | None:
    """The command's stdout ("" unless captured); a failure ends pi-check, or is None unless `check`."""
    done = subprocess.run(cmd, text=True, env=env,
                          stdout=subprocess.PIPE if capture or quiet else None,
                          stderr=subprocess.PIPE if quiet else None)
    if done.returncode != 0 and not check:
        return None
    if done.returncode != 0:
        if quiet:
            say((done.stdout or "")[-3000:] + (done.stderr or "")[-3000:])
        raise SystemExit(f"pi-check: failed ({done.returncode}): {' '.join(cmd)}")
    return done.stdout or ""


def say(text: str) -> None:
    print(text, flush=True)


def fail(text: str) -> int:
    print(f"pi-check: {text}", file=sys.stderr, flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main())
