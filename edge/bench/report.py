"""`digits bench`'s output: the terminal table, the JSON, reports/bench.md and its plots.

The terminal and the Markdown show the same tables, built once here, so the README can
quote exactly what the command prints. Plots need matplotlib (the train extra); without it
the report says so and carries on.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from digits.common.card import VARIANTS
from digits.common.files import atomic_path, write_text
from digits.edge.bench.config import BUILTIN, KERNELS, NOISE_LIMIT, XNNPACK, BenchConfig
from digits.edge.bench.results import BenchResult, Latency


def _ms(value: float) -> str:
    return f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 10 else f"{value:.1f}"


def _ratio(row: Latency | None) -> str:
    if row is None or row.ratio is None:
        return "1 (base)" if row is not None and row.variant == "float32" else "–"
    return f"{row.ratio:.2f}× [{row.ratio_lo:.2f}–{row.ratio_hi:.2f}] {row.verdict}"


def _table(header: list[str], rows: list[list[str]], align: str) -> list[str]:
    """A Markdown pipe table, padded so that it also reads in a terminal."""
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    pad = lambda cells: "| " + " | ".join(  # noqa: E731
        str(c).rjust(w) if a == "r" else str(c).ljust(w) for c, w, a in zip(cells, widths, align)) + " |"
    rule = "|" + "|".join(("-" * (w + 1) + ":") if a == "r" else ("-" * (w + 2))
                          for w, a in zip(widths, align)) + "|"
    return [pad(header), rule, *(pad(r) for r in rows)]


def _order(row: Latency) -> tuple:
    return (row.backend, row.kernels != XNNPACK, row.threads, row.batch, VARIANTS.index(row.variant)
            if row.variant in VARIANTS else 99)


def machine_lines(result: BenchResult) -> list[str]:
    m, c = result.machine, result.config
    libs = " · ".join(f"{k} {v}" + (" (installed; only the comparison child imports it)" if k == "tensorflow"
                                    else "") for k, v in m.libraries.items())
    load = f"{m.load_before}" if m.load_before is not None else "n/a"
    if m.load_after is not None:
        load += f" → {m.load_after}"
    return [
        f"machine   {m.cpu} · {m.arch} · {m.cores} cores" + (f" · {m.board}" if m.board else ""),
        f"isa       {' '.join(m.isa) or 'n/a'}",
        f"governor  {m.governor or 'not readable'} · load average (1 min) {load}",
        f"software  Python {m.python} · {libs}",
        f"run       {c.label}: {c.rounds} rounds, {c.latency_budget_s:g} s of timed invokes, "
        f"{c.pipeline_frames} frames per pipeline cell, {c.startup_runs} start-up(s) per runtime",
    ]


def sections(result: BenchResult) -> list[tuple[str, list[str]]]:
    """(title, lines) for each part of the report; the terminal and bench.md both print these."""
    out = []
    rows = sorted(result.latency, key=_order)
    by = {(r.variant, r.backend, r.kernels, r.threads, r.batch): r for r in rows}
    backend = rows[0].backend if rows else ""
    one = min((r.threads for r in rows), default=1)

    head = []
    for v in result.variants:
        x = by.get((v.variant, backend, XNNPACK, one, 1))
        b = by.get((v.variant, backend, BUILTIN, one, 1))
        head.append([
            v.variant, f"{v.accuracy:.2%}" if v.accuracy is not None else "–", f"{v.size_bytes / 1024:.1f}",
            f"{v.params:,}" if v.params else "–", f"{v.macs / 1e6:.2f}" if v.macs else "–",
            _ms(x.p50_ms) if x else "–", _ratio(x), _ms(b.p50_ms) if b else "–", _ratio(b),
        ])
    out.append((
        f"Variants (latency: {backend}, batch 1, {one} thread, p50 ms; ratio to float32 from the same "
        "rounds, [interquartile range])",
        _table(["variant", "accuracy", "KiB", "params", "MMAC/img", "XNNPACK p50", "× float32",
                "built-in p50", "× float32"], head, "lrrrrrlrl"),
    ))

    lat = [[r.backend, KERNELS.get(r.kernels, r.kernels), str(r.threads), str(r.batch), r.variant,
            _ms(r.p50_ms), _ms(r.p90_ms), _ms(r.p99_ms), f"{_ms(r.mean_ms)} ± {_ms(r.stdev_ms)}",
            f"{r.images_per_s:,.0f}", f"{r.gmacs:.1f}" if r.gmacs else "–", f"{r.spread:.0%}", _ratio(r)]
           for r in rows]
    out.append((
        "Model latency (invoke only, ms; spread = IQR of the round medians / median)",
        _table(["backend", "kernels", "threads", "batch", "variant", "p50", "p90", "p99", "mean ± sd",
                "img/s", "GMAC/s", "spread", "× float32 (same run)"], lat, "llrrlrrrrrrrl"),
    ))

    if result.pipeline:
        pipe = [[s.variant, s.resolution, f"{s.digits_per_frame:.1f}", _ms(s.decode_ms), _ms(s.segment_ms),
                 _ms(s.classify_ms), _ms(s.group_ms), _ms(s.draw_ms), _ms(s.mean_ms), _ms(s.p50_ms),
                 _ms(s.p90_ms), f"{s.fps:.0f}"] for s in result.pipeline]
        out.append(("Pipeline per frame (reader on 1 thread over the sample images and video, centre-cropped "
                    "and resized to each size, JPEG-encoded; stages are means in ms and add up to the mean "
                    "frame, decode to drawn; group = the rest of the reader's read; FPS = 1000 / mean)",
                    _table(["model", "frame", "digits", "decode", "segment", "classify", "group", "draw",
                            "mean", "p50", "p90", "FPS"], pipe, "llrrrrrrrrrr")))
    else:
        out.append(("Pipeline per frame", [f"skipped: {result.pipeline_note}"]))

    start = [[s.runtime, s.backend, f"{s.cold_start_s:.2f}", f"{s.import_s:.2f}", f"{s.load_s:.3f}",
              f"{s.first_result_s * 1e3:.1f} ms", f"{s.peak_rss_mb:.0f}", str(s.runs)]
             for s in result.startup]
    lines = _table(["runtime", "backend", "cold start s", "import s", "load s", "first result", "peak RSS MB",
                    "runs"], start, "llrrrrrr") if start else []
    if result.startup:
        lines.append("")
        lines.append(f"work: {result.startup[0].work}, in a fresh `python` each run (median of runs; "
                     "cold start = launch to first result, page cache warm)")
    edge = next((s for s in result.startup if s.runtime == "edge"), None)
    tf = next((s for s in result.startup if s.runtime == "tensorflow"), None)
    if edge and tf:
        lines.append(f"full TensorFlow: {tf.peak_rss_mb / edge.peak_rss_mb:.1f}× the memory, "
                     f"{tf.cold_start_s / edge.cold_start_s:.1f}× the start-up of the edge runtime")
    if result.startup_note:
        lines.append(f"TensorFlow comparison skipped: {result.startup_note}")
    out.append(("Start-up and memory", lines or [f"skipped: {result.startup_note}"]))

    inst = []
    for i in result.install:
        big = sorted(i.packages.items(), key=lambda kv: -kv[1])[:4]
        inst.append([i.extra, f"{i.bytes / 2**20:.0f}", str(len(i.packages)),
                     ", ".join(f"{k} {v / 2**20:.0f}" for k, v in big)
                     + (f"; not installed: {', '.join(i.missing)}" if i.missing else "")])
    lines = _table(["extra", "MB", "packages", "largest (MB)"], inst, "lrrl")
    sizes = {i.extra: i.bytes for i in result.install}
    if sizes.get("edge") and sizes.get("train"):
        lines += ["", f"the train extra (which includes edge) is {sizes['train'] / sizes['edge']:.1f}× "
                      "the edge extra on disk"]
    out.append(("Install size (installed distributions, from their RECORD files)", lines))

    out.append(("Targets", [f"- {t}" for t in result.targets] or ["- none measured"]))

    notes = [f"- {f}" for f in result.findings]
    notes += [f"- WARNING: {w}" for w in result.warnings]
    out.append(("Findings", notes or ["- none"]))
    return out


def terminal(result: BenchResult) -> str:
    lines = machine_lines(result)
    if result.noisy:
        lines += ["", f"WARNING: too noisy to rank variants (round spread {result.noise:.0%} > "
                      f"{NOISE_LIMIT:.0%}); rerun on a quiet machine"]
    for title, body in sections(result):
        lines += ["", title, *body]
    lines += ["", f"{result.seconds:.0f} s"]
    return "\n".join(lines)


def markdown(result: BenchResult, plots: list[Path], plot_note: str | None) -> str:
    lines = ["# digits bench", "", "Written by `digits bench` (`make bench`); every figure below is what "
             "the command printed on this machine.", "", "```", *machine_lines(result), "```"]
    if result.noisy:
        lines += ["", f"> **Too noisy to rank variants**: the round medians spread by {result.noise:.0%} "
                      f"(limit {NOISE_LIMIT:.0%}). Ratios are shown, verdicts are not. Rerun on a quiet "
                      "machine."]
    for title, body in sections(result):
        lines += ["", f"## {title}", "", *body]
    if plots:
        lines += ["", "## Plots", ""] + [f"![{p.stem}]({p.name})" for p in plots]
    elif plot_note:
        lines += ["", f"_No plots: {plot_note}._"]
    lines += ["", f"Settings: `{json.dumps(_plain(result.config))}`; {result.seconds:.0f} s.", ""]
    return "\n".join(lines)


def to_json(result: BenchResult) -> str:
    return json.dumps(asdict(result), indent=2, default=str)  # paths as strings


def _plain(config: BenchConfig) -> dict:
    return json.loads(json.dumps(asdict(config), default=str))


# --- plots ----------------------------------------------------------------------------------

def plots(result: BenchResult, out_dir: Path) -> tuple[list[Path], str | None]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return [], "matplotlib is not installed (it comes with the train extra)"
    written = [_latency_plot(plt, result, out_dir / "bench_latency.png"),
               _accuracy_plot(plt, result, out_dir / "bench_accuracy.png")]
    if result.pipeline:
        written.append(_stages_plot(plt, result, out_dir / "bench_stages.png"))
    return [p for p in written if p is not None], None


def _save(plt, fig, path: Path) -> Path:
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)
    return path


def _latency_plot(plt, result: BenchResult, path: Path) -> Path | None:
    rows = result.latency
    if not rows:
        return None
    panels = sorted({(r.backend, r.kernels) for r in rows}, key=lambda k: (k[0], k[1] != XNNPACK))
    batches = sorted({r.batch for r in rows})
    fig, axes = plt.subplots(len(panels), len(batches), figsize=(4.5 * len(batches), 3.2 * len(panels)),
                             squeeze=False)
    for i, (backend, kernels) in enumerate(panels):
        for j, batch in enumerate(batches):
            _latency_panel(axes[i][j], [r for r in rows if (r.backend, r.kernels, r.batch)
                                        == (backend, kernels, batch)])
            axes[i][j].set_title(f"{backend}, {KERNELS.get(kernels, kernels)}, batch {batch}",
                                 fontsize=9)
    return _save(plt, fig, path)


def _latency_panel(ax, rows: list[Latency]) -> None:
    """Bars of p50 per variant, one per thread count, whiskers up to p90."""
    variants = [v for v in VARIANTS if any(r.variant == v for r in rows)]
    threads = sorted({r.threads for r in rows})
    width = 0.8 / len(threads)
    for k, t in enumerate(threads):
        cells = [next((r for r in rows if r.variant == v and r.threads == t), None) for v in variants]
        p50 = [c.p50_ms if c else 0 for c in cells]
        up = [(c.p90_ms - c.p50_ms) if c else 0 for c in cells]
        ax.bar([n + k * width for n in range(len(variants))], p50, width, yerr=[[0] * len(up), up],
               capsize=2, label=f"{t} thread{'s' * (t > 1)}")
    ax.set_xticks([n + width * (len(threads) - 1) / 2 for n in range(len(variants))], variants)
    ax.set_ylabel("ms per invoke (p50, bar to p90)", fontsize=8)
    ax.legend(fontsize=7)


def _accuracy_plot(plt, result: BenchResult, path: Path) -> Path | None:
    acc = {v.variant: v.accuracy * 100 for v in result.variants if v.accuracy is not None}
    rows = [r for r in result.latency if r.batch == min(x.batch for x in result.latency)
            and r.threads == min(x.threads for x in result.latency) and r.backend == result.latency[0].backend
            and r.variant in acc]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(6, 4))
    for kernels, marker, offset in ((XNNPACK, "o", (3, 4)), (BUILTIN, "s", (3, -11))):
        sel = sorted((r for r in rows if r.kernels == kernels), key=lambda r: r.p50_ms)
        ax.scatter([r.p50_ms for r in sel], [acc[r.variant] for r in sel], marker=marker,
                   label=KERNELS[kernels])
        groups: list[list[Latency]] = []  # points on top of each other share one label
        for r in sel:
            last = groups[-1][-1] if groups else None
            if last and acc[last.variant] == acc[r.variant] and r.p50_ms <= last.p50_ms * 1.05:
                groups[-1].append(r)
            else:
                groups.append([r])
        for g in groups:
            ax.annotate(", ".join(r.variant for r in g), (g[0].p50_ms, acc[g[0].variant]), fontsize=7,
                        xytext=offset, textcoords="offset points")
    low, high = min(acc.values()), max(acc.values())
    middle, half = (low + high) / 2, max(0.25, (high - low) * 0.75)
    ax.set_ylim(middle - half, middle + half)  # a 0.01 pp difference must not fill the plot
    ax.set_xlim(0, max(r.p50_ms for r in rows) * 1.3)
    ax.set_xlabel(f"ms per image (p50, {rows[0].backend}, batch {rows[0].batch}, {rows[0].threads} thread)")
    ax.set_ylabel("test accuracy, %")
    ax.set_title("accuracy vs latency")
    ax.legend(fontsize=8)
    return _save(plt, fig, path)


def _stages_plot(plt, result: BenchResult, path: Path) -> Path:
    labels = [f"{s.variant} {s.resolution}" for s in result.pipeline]
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(labels) + 1.5))
    left = [0.0] * len(labels)
    stages = {"decode": [s.decode_ms for s in result.pipeline],
              "segment": [s.segment_ms for s in result.pipeline],
              "classify": [s.classify_ms for s in result.pipeline],
              "group": [s.group_ms for s in result.pipeline],
              "draw": [s.draw_ms for s in result.pipeline]}
    for stage, values in stages.items():
        ax.barh(labels, values, left=left, label=stage)
        left = [a + b for a, b in zip(left, values)]
    ax.set_xlabel("ms per frame (mean of each stage)")
    ax.set_title("where a frame's time goes")
    ax.legend(fontsize=8)
    return _save(plt, fig, path)


def write(result: BenchResult, out_dir: Path) -> list[Path]:
    """bench.md, bench.json and the PNGs, each written atomically."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    pngs, note = plots(result, out_dir)
    write_text(out_dir / "bench.json", to_json(result) + "\n")
    write_text(out_dir / "bench.md", markdown(result, pngs, note))
    return [out_dir / "bench.md", out_dir / "bench.json", *pngs]
