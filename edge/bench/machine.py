"""The machine a bench ran on: CPU and its instruction sets, cores, governor, load, libraries.

Read from /proc and /sys and package metadata; nothing is imported to find a version.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from digits.edge.bench.results import Machine

ISA_FLAGS = (  # the CPU features that decide which kernels are fast
    "sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni",
    "avx512_bf16", "avx512_fp16", "amx_int8", "neon", "asimd", "asimdhp", "asimddp", "i8mm",
    "bf16", "sve", "sve2",
)
ARM_PARTS = {"0xd03": "Cortex-A53", "0xd04": "Cortex-A35", "0xd05": "Cortex-A55",
             "0xd07": "Cortex-A57", "0xd08": "Cortex-A72", "0xd0b": "Cortex-A76"}
LIBRARIES = ("ai-edge-litert", "tflite-runtime", "numpy", "opencv-python-headless", "opencv-python",
             "click", "tensorflow")


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text(errors="replace").strip("\x00\n ")
    except OSError:
        return None


def machine() -> Machine:
    cpuinfo = _read("/proc/cpuinfo") or ""
    fields: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip().lower(), value.strip())
    flags = set((fields.get("flags") or fields.get("features") or "").split())
    cpu = ARM_PARTS.get(fields.get("cpu part", "")) or fields.get("model name") \
        or platform.processor() or platform.machine()
    if fields.get("cpu family") and fields.get("model"):  # x86: names the part a hypervisor hides
        cpu += f" (family {fields['cpu family']}, model {fields['model']})"
    if sys.platform == "darwin":
        try:
            cpu = subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True,
                                 text=True, timeout=5).stdout.strip() or cpu
        except OSError:
            pass
    libraries = {}
    for name in LIBRARIES:
        try:
            libraries[name] = metadata.version(name)  # metadata only: nothing is imported
        except metadata.PackageNotFoundError:
            pass
    return Machine(
        cpu=cpu, arch=platform.machine(), cores=_cores(), isa=tuple(f for f in ISA_FLAGS if f in flags),
        governor=_read("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"),
        board=_read("/proc/device-tree/model"), python=platform.python_version(),
        libraries=libraries, load_before=load_average(),
    )


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def thread_counts(cores: int) -> tuple[int, ...]:
    """1, 2, 4 … up to the cores, and the core count itself."""
    counts = {cores}
    t = 1
    while t < cores:
        counts.add(t)
        t *= 2
    return tuple(sorted(counts))
