"""Figures for the report: time against loops, and speedup against loops.

Why a module of its own: the tables (``mpbench.tables``) give the numbers,
but whether a Pool pays off, and from how many loops on, is a question of
shape, which a figure shows at a glance.  Both figures are drawn from the
summary CSVs only, so they can be redrawn without rerunning the benchmark,
and they show the interval of each median, so that a reader does not read
meaning into differences smaller than the run-to-run spread.

Both functions are pure apart from writing their output files: every style
setting lives in a context manager (``sns.axes_style``,
``sns.plotting_context``, ``plt.rc_context``) and every figure is closed, so
calling them leaves matplotlib's global state as it was.  The Agg backend is
used, so no display is needed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib import ticker  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

# Display names of the summaries ("read", "readwrite") and their panel order.
OPERATIONS: dict[str, str] = {"read": "read", "readwrite": "read & write"}

# Time variants: column prefix in the summary -> legend label.  Overwrite
# columns exist in the readwrite summary only.
TIME_VARIANTS: dict[str, str] = {
    "serial": "serial",
    "pool": "Pool",
    "overwrite_serial": "overwrite, serial",
    "overwrite_pool": "overwrite, Pool",
}
TIME_STYLE: dict[str, tuple[str, str]] = {  # variant -> (colour, marker)
    "serial": ("#1f77b4", "o"),
    "pool": ("#d62728", "s"),
    "overwrite_serial": ("#17becf", "^"),
    "overwrite_pool": ("#ff7f0e", "D"),
}

# Speedup series: name -> (summary key, column prefix, legend label).
SPEEDUP_SERIES: dict[str, tuple[str, str, str]] = {
    "read": ("read", "speedup", "read"),
    "readwrite": ("readwrite", "speedup", "read & write"),
    "overwrite": ("readwrite", "overwrite_speedup", "overwrite (read & write, one file)"),
}
SPEEDUP_STYLE: dict[str, tuple[str, str]] = {
    "read": ("#2ca02c", "o"),
    "readwrite": ("#9467bd", "s"),
    "overwrite": ("#ff7f0e", "D"),
}

# The appendix figures' words: English from the names above, Chinese beside them.
TEXT = {
    "en": {
        "ops": OPERATIONS,
        "variants": TIME_VARIANTS,
        "series": {name: label for name, (_, _, label) in SPEEDUP_SERIES.items()},
        "worker": ("{n} worker", "{n} workers"),
        "core": ("{n} core", "{n} cores"),
        "ideal_label": "ideal: min({workers}, {cores}) = {ideal}×",
        "loops": "loops (file operations per run)",
        "time": "time (s)",
        "ceiling": "raw ceiling, 1 process (os.readv / os.write, no decoding)",
        "time_title": "Time against loops (file operations per run): serial vs {workers}\n{interval}",
        "speedup": "speedup (serial / Pool, ×)",
        "no_gain": "no gain (1×)",
        "ideal": "ideal: min(workers, cores)",
        "speedup_title": "Speedup of {workers} over serial, on {cores}\n{interval}",
        "no_data": "no data",
        "runs": " of {runs} runs",
        "point": {"time": "median", "speedup": "median of paired serial / Pool ratios"},
        "bars": {
            "time": "points: {point}{n}; bars: distribution-free interval of the median (coverage {cover})",
            "speedup": "points: {point}{n}; bars: interval from paired ratios (coverage {cover})",
        },
    },
    "zh": {
        "ops": {"read": "读", "readwrite": "读&写"},
        "variants": {
            "serial": "串行",
            "pool": "Pool",
            "overwrite_serial": "写覆盖，串行",
            "overwrite_pool": "写覆盖，Pool",
        },
        "series": {"read": "读", "readwrite": "读&写", "overwrite": "写覆盖（读&写同一个文件）"},
        "worker": ("{n} 个进程", "{n} 个进程"),
        "core": ("{n} 个核", "{n} 个核"),
        "ideal_label": "理想值：min({workers}, {cores}) = {ideal}×",
        "loops": "loops（每次运行的文件操作次数）",
        "time": "耗时（秒）",
        "ceiling": "原始上限，1 个进程（os.readv / os.write，不解码）",
        "time_title": "耗时随 loops（每次运行的文件操作次数）变化：串行对比 {workers}\n{interval}",
        "speedup": "加速比（串行 / Pool，×）",
        "no_gain": "没有提升（1×）",
        "ideal": "理想值：min(进程数, 核数)",
        "speedup_title": "{workers} 相对串行的加速比，{cores}\n{interval}",
        "no_data": "没有数据",
        "runs": "，{runs} 次运行",
        "point": {"time": "中位数", "speedup": "串行 / Pool 配对比值的中位数"},
        "bars": {
            "time": "点：{point}{n}；误差线：中位数的无分布假设区间（覆盖率 {cover}）",
            "speedup": "点：{point}{n}；误差线：配对比值的区间（覆盖率 {cover}）",
        },
    },
}

LONG_COLUMNS = ["operation", "variant", "loops", "workers", "median", "ci_low", "ci_high"]
PANEL_WIDTH = 4.6  # inches per column of panels
PANEL_HEIGHT = 3.4  # inches per row of panels


# --------------------------------------------------------------------------
# tidy frames


def long_frame(summaries: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Wide summaries -> one tidy row per (operation, variant, loops, workers).

    Columns: operation (the summary key, "read" or "readwrite"), variant
    ("serial", "pool", and for readwrite "overwrite_serial",
    "overwrite_pool"), loops, workers, median, ci_low, ci_high (seconds).
    A variant is included where its ``<variant>_median`` column exists.
    """
    parts = []
    for operation in _ordered_keys(summaries):
        summary = summaries[operation]
        for variant in TIME_VARIANTS:
            if f"{variant}_median" not in summary.columns:
                continue
            parts.append(
                _tidy(
                    summary,
                    f"{variant}_median",
                    f"{variant}_ci_low",
                    f"{variant}_ci_high",
                    operation=operation,
                    variant=variant,
                )
            )
    return _concat(parts)


def speedup_frame(summaries: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Speedups as tidy rows: series ("read", "readwrite", "overwrite"),
    loops, workers, median (the speedup, serial / Pool), ci_low, ci_high."""
    parts = []
    for series, (key, prefix, _label) in SPEEDUP_SERIES.items():
        summary = summaries.get(key)
        if summary is None or prefix not in summary.columns:
            continue
        parts.append(_tidy(summary, prefix, f"{prefix}_ci_low", f"{prefix}_ci_high", operation=key, variant=series))
    return _concat(parts)


def ideal_speedup(workers: int, cores: int) -> int:
    """The best speedup a Pool can give: one task per core at most, so
    min(workers, cores) (at least 1)."""
    return max(1, min(int(workers), int(cores)))


def ideal_label(workers: int, cores: int, language: str = "en") -> str:
    """Legend text of the ideal-speedup line, e.g.
    "ideal: min(4 workers, 2 cores) = 2×"."""
    t = TEXT[language]
    return t["ideal_label"].format(
        workers=_plural(workers, "worker", language),
        cores=_plural(cores, "core", language),
        ideal=ideal_speedup(workers, cores),
    )


def _tidy(summary: pd.DataFrame, median: str, low: str, high: str, *, operation: str, variant: str) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "operation": operation,
            "variant": variant,
            "loops": summary["loops"].astype(int).to_numpy(),
            "workers": summary["workers"].astype(int).to_numpy(),
            "median": summary[median].astype(float).to_numpy(),
            "ci_low": _column(summary, low),
            "ci_high": _column(summary, high),
        }
    )
    return frame


def _column(summary: pd.DataFrame, name: str) -> np.ndarray:
    if name in summary.columns:
        return summary[name].astype(float).to_numpy()
    return np.full(len(summary), np.nan)


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame(
            {c: pd.Series(dtype=object if c in ("operation", "variant") else float) for c in LONG_COLUMNS}
        )
    frame = pd.concat(parts, ignore_index=True)
    return frame.sort_values(["operation", "variant", "workers", "loops"], kind="stable", key=_order_key).reset_index(
        drop=True
    )[LONG_COLUMNS]


def _order_key(column: pd.Series) -> pd.Series:
    """Sort operations and variants in display order, numbers numerically."""
    order = {name: i for i, name in enumerate([*OPERATIONS, *TIME_VARIANTS, *SPEEDUP_SERIES])}
    if column.name in ("operation", "variant"):
        return column.map(lambda v: order.get(v, len(order)))
    return column


def _ordered_keys(summaries: Mapping[str, pd.DataFrame]) -> list[str]:
    known = [k for k in OPERATIONS if k in summaries]
    return known + [k for k in summaries if k not in OPERATIONS]


# --------------------------------------------------------------------------
# figures


def plot_time(
    summaries: Mapping[str, pd.DataFrame],
    out_paths: Iterable[str | Path],
    ceiling: Mapping[str, float] | None = None,
    language: str = "en",
) -> None:
    """Median wall time against loops, serial vs Pool, with median intervals.

    One column of panels per operation (read | read & write), one row per
    worker count.  Both axes are logarithmic; x ticks are the loop counts
    that were run.  Bars are the distribution-free intervals of the median
    from the ``*_ci_low`` / ``*_ci_high`` columns.

    ``ceiling`` (from the ceiling experiment: raw seconds per operation in
    one process, {"read": s, "readwrite": s}) adds a reference line
    loops x that time to each panel: what one process could do moving the
    bytes without Python's decoding.
    """
    language = figure_language(language)
    t = TEXT[language]
    data = long_frame(summaries)
    operations = _ordered_keys(summaries)
    workers = sorted(int(w) for w in data["workers"].unique())
    if not operations or not workers:
        raise ValueError("plot_time: no rows to plot")
    variants = [v for v in TIME_VARIANTS if v in set(data["variant"])]
    palette = {t["variants"][v]: TIME_STYLE[v][0] for v in variants}
    markers = {t["variants"][v]: TIME_STYLE[v][1] for v in variants}
    loops = sorted(int(x) for x in data["loops"].unique())
    data = data.assign(
        x=data["loops"] * _dodge(data["variant"], variants, loops), label=data["variant"].map(t["variants"])
    )

    with style():
        nrows, ncols = len(workers), len(operations)
        fig, axes = plt.subplots(
            nrows,
            ncols,
            squeeze=False,
            sharex=True,
            sharey=True,
            figsize=(max(5.0, PANEL_WIDTH * ncols + 0.6), PANEL_HEIGHT * nrows + 1.3),
            layout="constrained",
        )
        for i, w in enumerate(workers):
            for j, op in enumerate(operations):
                ax = axes[i][j]
                sub = data[(data["operation"] == op) & (data["workers"] == w)]
                lines(ax, sub, palette, markers)
                raw = (ceiling or {}).get(op)
                if raw is not None and np.isfinite(raw) and raw > 0:
                    xs = np.array([min(loops), max(loops)], dtype=float)
                    ax.plot(xs, xs * raw, color=CEILING_STYLE[0], linestyle=CEILING_STYLE[1], linewidth=1.3, zorder=1)
                ax.set_xscale("log", base=2)
                ax.set_yscale("log")
                _loop_ticks(ax, loops)
                title = t["ops"].get(op, op)
                ax.set_title(f"{title}: Pool(processes={w})" if nrows > 1 else title)
                ax.set_xlabel(t["loops"] if i == nrows - 1 else "")
                ax.set_ylabel(t["time"] if j == 0 else "")
        handles = [_handle(t["variants"][v], TIME_STYLE[v]) for v in variants]
        if ceiling and any(np.isfinite(ceiling.get(op, np.nan)) for op in operations):
            handles.append(
                Line2D([], [], color=CEILING_STYLE[0], linestyle=CEILING_STYLE[1], linewidth=1.3, label=t["ceiling"])
            )
        fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 3), frameon=False)
        _seconds_ticks(axes[0][0])  # y is shared: one call sets every panel
        interval = _interval_text(summaries, "time", language)
        fig.suptitle(t["time_title"].format(workers=_workers_text(workers), interval=interval), fontsize="medium")
        save(fig, out_paths)


CEILING_STYLE = ("0.35", (0, (4, 2, 1, 2)))


def plot_speedup(
    summaries: Mapping[str, pd.DataFrame], cores: int, out_paths: Iterable[str | Path], language: str = "en"
) -> None:
    """Speedup (median of paired serial / Pool ratios) against loops, one panel per
    worker count, with the interval of each speedup and two reference
    lines: no gain (1×) and the ideal min(workers, cores)."""
    language = figure_language(language)
    t = TEXT[language]
    data = speedup_frame(summaries)
    workers = sorted(int(w) for w in data["workers"].unique())
    if not workers:
        raise ValueError("plot_speedup: no rows to plot")
    series = [s for s in SPEEDUP_SERIES if s in set(data["variant"])]
    labels = {s: t["series"][s] for s in series}
    palette = {labels[s]: SPEEDUP_STYLE[s][0] for s in series}
    markers = {labels[s]: SPEEDUP_STYLE[s][1] for s in series}
    loops = sorted(int(x) for x in data["loops"].unique())
    data = data.assign(x=data["loops"] * _dodge(data["variant"], series, loops), label=data["variant"].map(labels))
    values = np.concatenate([data["median"].to_numpy(float), data["ci_high"].to_numpy(float)])
    values = values[np.isfinite(values)]
    top = max([float(ideal_speedup(w, cores)) for w in workers] + list(values)) * 1.12

    with style():
        ncols = min(len(workers), 3)
        nrows = math.ceil(len(workers) / ncols)
        fig, axes = plt.subplots(
            nrows,
            ncols,
            squeeze=False,
            sharey=True,
            figsize=(max(8.0, 4.4 * ncols + 0.6), PANEL_HEIGHT * nrows + 1.7),
            layout="constrained",
        )
        for ax in axes.flat[len(workers) :]:
            ax.set_visible(False)
        for j, w in enumerate(workers):
            ax = axes.flat[j]
            ideal = ideal_speedup(w, cores)
            ax.axhline(1.0, color="0.45", linestyle="--", linewidth=1.2, zorder=1)
            if ideal != 1:
                ax.axhline(ideal, color="black", linestyle=":", linewidth=1.5, zorder=1)
            lines(ax, data[data["workers"] == w], palette, markers)
            ax.set_xscale("log", base=2)
            _loop_ticks(ax, loops)
            ax.set_ylim(0, top)
            ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _pos: f"{v:g}×"))
            ax.set_title(f"Pool(processes={w})\n{ideal_label(w, cores, language)}")
            ax.set_xlabel(t["loops"])
            ax.set_ylabel(t["speedup"] if j % ncols == 0 else "")
        handles = [_handle(labels[s], SPEEDUP_STYLE[s]) for s in series]
        handles.append(Line2D([], [], color="0.45", linestyle="--", linewidth=1.2, label=t["no_gain"]))
        if any(ideal_speedup(w, cores) != 1 for w in workers):
            handles.append(Line2D([], [], color="black", linestyle=":", linewidth=1.5, label=t["ideal"]))
        fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 3), frameon=False)
        title = t["speedup_title"].format(
            workers=_workers_text(workers),
            cores=_plural(cores, "core", language),
            interval=_interval_text(summaries, "speedup", language),
        )
        fig.suptitle(title, fontsize="medium")
        save(fig, out_paths)


# --------------------------------------------------------------------------
# helpers


def style() -> AbstractContextManager[None]:
    """Every style setting of the figures, as one context manager; a font with
    Chinese glyphs (:func:`cjk_font`), where there is one, backs up the Latin one."""
    rc = {
        **sns.axes_style("whitegrid"),
        **sns.plotting_context("notebook", font_scale=0.85),
        "svg.hashsalt": "mpbench",
        "axes.titlesize": "medium",
    }
    font = cjk_font()
    if font:  # matplotlib takes each glyph from the first family of font.family that has it
        rc["font.family"] = [*rc.get("font.family", ["sans-serif"]), font]
    return plt.rc_context(rc)


# Families with Simplified Chinese glyphs, the most fitting first: Noto Sans CJK
# (Debian's fonts-noto-cjk names its collection after its first face, JP),
# Source Han Sans (the same design), WenQuanYi, Droid Sans Fallback.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans CJK JP",
    "Source Han Sans",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
)
#: Distributions whose font files matplotlib is told about (requirements.txt pins one).
FONT_PACKAGES = ("pylopdf-fonts-zh-cn", "noto-cjk-sans-otc")
FONT_HINT = "`pip install -r requirements.txt` installs one, or `apt install fonts-noto-cjk`"


def packaged_fonts() -> list[Path]:
    """The font files that the distributions of FONT_PACKAGES installed."""
    from importlib import metadata

    found = []
    for name in FONT_PACKAGES:
        try:
            files = metadata.files(name) or []
        except metadata.PackageNotFoundError:
            continue
        found += [Path(f.locate()) for f in files if f.suffix.lower() in (".otf", ".ttf", ".ttc")]
    return found


def cjk_font() -> str | None:
    """The family of a font with Chinese glyphs that matplotlib knows (a packaged
    one is registered first where none is), or None."""
    from matplotlib import font_manager

    def known() -> str | None:
        names = {f.name for f in font_manager.fontManager.ttflist}
        return next((name for name in CJK_FAMILIES if name in names), None)

    if known() is None:
        for path in packaged_fonts():
            font_manager.fontManager.addfont(str(path))
    return known()


def figure_language(language: str) -> str:
    """The language a figure's text is drawn in: zh where a font has its glyphs, else en."""
    return "zh" if language == "zh" and cjk_font() else "en"


def font_note(language: str) -> str:
    """The report's line when zh figures fall back to English, else ""."""
    if language != "zh" or figure_language(language) == "zh":
        return ""
    return f"The figures are in English although `language: zh`: no font with Chinese glyphs was found ({FONT_HINT})."


def lines(
    ax: Axes,
    sub: pd.DataFrame,
    palette: dict[str, str],
    markers: dict[str, str],
    y: str = "median",
    low: str = "ci_low",
    high: str = "ci_high",
    elinewidth: float = 1.2,
) -> None:
    """Seaborn lines of ``y`` against ``x``, one per ``label``, with markers, then
    the interval [low, high] as error bars in the same colours."""
    if sub.empty:
        ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", va="center", color="0.5")
        return
    order = [label for label in palette if label in set(sub["label"])]
    sns.lineplot(
        data=sub,
        x="x",
        y=y,
        hue="label",
        style="label",
        hue_order=order,
        style_order=order,
        palette=palette,
        markers=markers,
        dashes=False,
        estimator=None,
        errorbar=None,
        sort=True,
        markersize=6,
        linewidth=1.6,
        legend=False,
        ax=ax,
        zorder=3,
    )
    for label, rows in sub.groupby("label", sort=False):
        rows = rows.dropna(subset=[y, low, high])
        interval_bars(
            ax, rows["x"], rows[y], rows[low], rows[high], ecolor=palette[label], elinewidth=elinewidth, zorder=2
        )


def _dodge(variant: pd.Series, order: list[str], loops: list[int]) -> np.ndarray:
    """Small multiplicative x offsets so that the bars of different variants
    at the same loop count do not hide one another."""
    if len(order) < 2:
        return np.ones(len(variant))
    span = math.log2(max(loops) / min(loops)) if len(loops) > 1 and min(loops) > 0 else 1.0
    step = 0.012 * max(span, 2.0)  # in octaves
    centre = (len(order) - 1) / 2
    index = variant.map({v: i for i, v in enumerate(order)}).astype(float).to_numpy()
    return np.power(2.0, (index - centre) * step)


def _loop_ticks(ax: Axes, loops: list[int]) -> None:
    shown = loops
    if len(loops) > 12:  # keep labels readable: every k-th loop count
        k = math.ceil(len(loops) / 12)
        shown = loops[::k]
    ax.xaxis.set_major_locator(ticker.FixedLocator(shown))
    ax.xaxis.set_major_formatter(ticker.FixedFormatter([f"{x:,}" for x in shown]))
    ax.xaxis.set_minor_locator(ticker.NullLocator())
    if len(loops) > 1:
        ax.set_xlim(min(loops) / 2**0.35, max(loops) * 2**0.35)
    if max(len(f"{x:,}") for x in shown) * len(shown) > 40:
        ax.tick_params(axis="x", labelrotation=45)


def _seconds_ticks(ax: Axes) -> None:
    """Plain-number labels on a log seconds axis: 1-2-5 steps where the axis
    spans few decades (else one label per decade), unlabelled minor ticks."""
    low, high = ax.get_ylim()
    decades = math.log10(high / low) if low > 0 and high > low else 1.0
    subs = (1.0, 2.0, 5.0) if decades <= 3.5 else (1.0,)
    ax.yaxis.set_major_locator(ticker.LogLocator(base=10, subs=subs))
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _pos: f"{v:g}"))
    ax.yaxis.set_minor_locator(ticker.LogLocator(base=10, subs="auto"))
    ax.yaxis.set_minor_formatter(ticker.NullFormatter())


seconds_ticks = _seconds_ticks  # for the experiments' figures


def interval_bars(ax: Axes, x, centre, low, high, **style) -> None:
    """``centre`` at ``x`` with its interval [low, high] as error bars (``style``
    goes to ``Axes.errorbar``; by default bars only, with caps)."""
    centre, low, high = (np.asarray(v, dtype=float) for v in (centre, low, high))
    style = {"fmt": "none", "capsize": 3, **style}
    ax.errorbar(
        np.asarray(x, dtype=float),
        centre,
        yerr=[np.clip(centre - low, 0, None), np.clip(high - centre, 0, None)],
        **style,
    )


def _handle(label: str, style: tuple[str, str]) -> Line2D:
    colour, marker = style
    return Line2D([], [], color=colour, marker=marker, markersize=6, linewidth=1.6, label=label)


def _plural(n: int, word: str, language: str = "en") -> str:
    one, many = TEXT[language][word]
    return (one if int(n) == 1 else many).format(n=n)


def _workers_text(workers: list[int]) -> str:
    if len(workers) == 1:
        return f"Pool(processes={workers[0]})"
    return "Pool(processes=w), w = " + ", ".join(str(w) for w in workers)


def _interval_text(summaries: Mapping[str, pd.DataFrame], kind: str, language: str = "en") -> str:
    """Caption line: what a point and a bar are, with the lowest coverage and n."""
    coverage, runs = [], []
    for summary in summaries.values():
        for column in summary.columns:
            is_speedup = "speedup" in column
            if column.endswith("_ci_coverage") and is_speedup == (kind == "speedup"):
                coverage.extend(summary[column].dropna().astype(float))
            if column.endswith("_n"):
                runs.extend(summary[column].dropna().astype(int))
    t = TEXT[language]
    cover = f"≥ {min(coverage):.0%}" if coverage else "95%"
    n = t["runs"].format(runs=min(runs) if min(runs) == max(runs) else f"{min(runs)}–{max(runs)}") if runs else ""
    return t["bars"][kind].format(point=t["point"][kind], n=n, cover=cover)


def save(fig: Figure, out_paths: Iterable[str | Path]) -> None:
    try:
        for path in out_paths:
            path = Path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            metadata = {"Date": None} if path.suffix.lower() == ".svg" else None
            fig.savefig(path, dpi=150, metadata=metadata)
    finally:
        plt.close(fig)


def fixed_ticks(axis, values, labels=None) -> None:
    """Major ticks of ``axis`` (``ax.xaxis`` or ``ax.yaxis``) at exactly ``values``, labelled
    ``labels`` (by default the values as text), and no minor ticks."""
    axis.set_major_locator(ticker.FixedLocator(values))
    axis.set_major_formatter(ticker.FixedFormatter([str(v) for v in values] if labels is None else labels))
    axis.set_minor_locator(ticker.NullLocator())
