"""What a run supports saying: ratios in sentences, the default to recommend, and the project's
targets beside what was measured. Nothing here is asserted by a timed test; it is printed.
"""

from __future__ import annotations

from digits.edge.bench.config import BUILTIN, KERNELS, XNNPACK, kernels_phrase
from digits.edge.bench.latency import Cell, paired_ratio, verdict
from digits.edge.bench.results import Latency, Machine, Stages, Startup, Variant

TARGET_READER_P50_MS = 3.0  # one 640x480 frame, one core, decode to drawn
TARGET_COLD_START_S = 1.0
TARGET_PEAK_RSS_MB = 120.0
TARGET_TF_MEMORY_RATIO = 5.0  # full TensorFlow needs at least this many times the edge's memory


def findings(cells: list[Cell], rows: list[Latency], variants: list[Variant], noisy: bool,
             machine_: Machine) -> list[str]:
    """Sentences the table supports, each with its range; nothing that the run did not measure."""
    out = []
    by = {(c.variant, *c.key): c for c in cells}
    one, top = min(c.threads for c in cells), max(c.threads for c in cells)
    big = max(c.batch for c in cells)
    backends = list(dict.fromkeys(c.backend for c in cells))

    def pair(a: tuple, b: tuple) -> str | None:
        if a in by and b in by:
            r, lo, hi = paired_ratio(by[a], by[b])
            return f"{r:.2f}× [{lo:.2f}–{hi:.2f}]"
        return None

    for backend in backends:
        on = f" on {backend}" if len(backends) > 1 else ""
        for batch in sorted({c.batch for c in cells}):
            parts = []
            for kernels in KERNELS:
                a, b = ("int8", backend, kernels, one, batch), ("float32", backend, kernels, one, batch)
                if pair(a, b):
                    _, lo, hi = paired_ratio(by[a], by[b])
                    parts.append(f"{kernels_phrase(kernels)} {pair(a, b)} ({_word(lo, hi, noisy)})")
            if parts:
                out.append(f"int8 / float32 latency{on}, batch {batch}, {one} thread: " + "; ".join(parts))
        for variant in ("float32", "int8"):
            a, b = (variant, backend, BUILTIN, one, 1), (variant, backend, XNNPACK, one, 1)
            ratio = pair(a, b)
            if ratio:
                same = verdict(*paired_ratio(by[a], by[b])[1:], noisy=False) == "same"
                note = " — the same speed: XNNPACK does not seem to run this model here" if same else ""
                out.append(f"{variant}{on}: built-in kernels / XNNPACK = {ratio} at batch 1, "
                           f"{one} thread{note}")
            ratio = pair((variant, backend, XNNPACK, top, big), (variant, backend, XNNPACK, one, big))
            if ratio and top > one:
                out.append(f"{variant}{on}, XNNPACK, batch {big}: {top} threads / {one} = {ratio}")
    for other in backends[1:]:
        for variant in ("float32", "int8"):
            ratio = pair((variant, other, XNNPACK, one, 1), (variant, backends[0], XNNPACK, one, 1))
            if ratio:
                out.append(f"{variant}, XNNPACK, batch 1: {other} / {backends[0]} = {ratio}")
    out.append(isa_note(machine_))
    pick = recommend(rows, variants, noisy)
    if pick:
        out.append(pick)
    return out


def _word(lo: float, hi: float, noisy: bool) -> str:
    return {"faster": "int8 faster", "slower": "int8 slower", "same": "the same within 3%",
            "unclear": "no clear difference", "unranked": "too noisy to rank"}[verdict(lo, hi, noisy)]


def isa_note(m: Machine) -> str:
    """Which int8 dot-product instructions this CPU has: they decide whether int8 pays here."""
    flags = set(m.isa)
    dot = sorted(flags & {"avx512_vnni", "avx_vnni", "amx_int8", "asimddp", "i8mm"})
    listed = ", ".join(m.isa) or "none readable"
    if dot:
        return (f"CPU features: {listed}. int8 dot-product instructions present ({', '.join(dot)}): "
                "int8 kernels do several multiply-accumulates per lane in one instruction.")
    if flags & {"avx2", "avx"}:
        return (f"CPU features: {listed}. No VNNI: int8 needs a chain of widening multiplies and adds where "
                "float32 has one FMA, so int8 may not pay on this CPU; on ARM cores "
                "with dot-product instructions (Pi 5's Cortex-A76: asimddp) it usually does.")
    if flags & {"asimd", "neon"}:
        return (f"CPU features: {listed}. No int8 dot-product instructions (asimddp, as on a Pi 4's "
                "Cortex-A72): int8 kernels use widening NEON multiplies; a Pi 5's Cortex-A76 has asimddp.")
    return f"CPU features: {listed}."


def recommend(rows: list[Latency], variants: list[Variant], noisy: bool) -> str | None:
    """The reader's default: the fastest (variant, kernels) at a frame's batch on one thread,
    among variants within 0.1 pp of the best measured accuracy."""
    if noisy:
        return "No default recommended: the run was too noisy to rank variants."
    acc = {v.variant: v.accuracy for v in variants if v.accuracy is not None}
    if acc:
        good = {v for v, a in acc.items() if a >= max(acc.values()) - 0.001}
    else:
        good = {v.variant for v in variants}
    batch = max(r.batch for r in rows)
    one = min(r.threads for r in rows)
    candidates = [r for r in rows if r.batch == batch and r.threads == one and r.variant in good]
    if not candidates:
        return None
    best = min(candidates, key=lambda r: r.p50_ms)
    accuracy_note = f", accuracy {acc[best.variant]:.2%}" if best.variant in acc else ""
    return (f"Fastest on this CPU for a frame's crops (batch {batch}, {one} thread): {best.variant} with "
            f"{kernels_phrase(best.kernels)} on {best.backend}, "
            f"p50 {best.p50_ms:.3f} ms{accuracy_note}.")


def stage_findings(stages: list[Stages], rows: list[Latency]) -> list[str]:
    """The reader's classify stage beside one bare invoke of the model, from the two tables."""
    out = []
    big = max((r.batch for r in rows), default=0)
    for s in (s for s in stages if s.resolution == "640x480"):
        invoke = next((r for r in rows if r.variant == s.variant and r.kernels == XNNPACK
                       and r.threads == 1 and r.batch == big), None)
        if invoke:
            out.append(f"{s.variant}, 640x480: the reader's classify stage takes {s.classify_ms:.2f} ms "
                       f"per frame ({s.digits_per_frame:.1f} digits found, each cropped and brought to "
                       f"28x28 first); compare one bare invoke of {invoke.batch} images: "
                       f"{invoke.p50_ms:.3f} ms (p50)")
    return out


def targets(stages: list[Stages], runs: list[Startup]) -> list[str]:
    """The project's targets beside what this run measured; a goal with nothing measured is said so."""
    met = lambda ok: "met" if ok else "NOT met"  # noqa: E731
    out = []
    frames = [s for s in stages if s.resolution == "640x480"]
    for s in frames:
        out.append(f"reader, {s.variant}, 640x480, 1 thread, decode to drawn: p50 {s.p50_ms:.2f} ms "
                   f"(≤ {TARGET_READER_P50_MS:g} ms: {met(s.p50_ms <= TARGET_READER_P50_MS)})")
    if not frames:
        out.append(f"reader p50 ≤ {TARGET_READER_P50_MS:g} ms at 640x480: not measured (no pipeline stage)")
    edge = next((r for r in runs if r.runtime == "edge"), None)
    tf = next((r for r in runs if r.runtime == "tensorflow"), None)
    if edge:
        out.append(f"edge cold start {edge.cold_start_s:.2f} s (≤ {TARGET_COLD_START_S:g} s: "
                   f"{met(edge.cold_start_s <= TARGET_COLD_START_S)}), peak RSS {edge.peak_rss_mb:.0f} MB "
                   f"(≤ {TARGET_PEAK_RSS_MB:g} MB: {met(edge.peak_rss_mb <= TARGET_PEAK_RSS_MB)})")
    if edge and tf:
        ratio = tf.peak_rss_mb / edge.peak_rss_mb
        out.append(f"full TensorFlow needs {ratio:.1f}× the edge runtime's memory "
                   f"(≥ {TARGET_TF_MEMORY_RATIO:g}×: {met(ratio >= TARGET_TF_MEMORY_RATIO)})")
    elif edge:
        out.append(f"≥ {TARGET_TF_MEMORY_RATIO:g}× less memory than TensorFlow: not measured in this run")
    return out
