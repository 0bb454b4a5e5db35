"""The figures: the appendix's time and speedup against loops (docs/experiments/appendix.md,
"Reading the figures"), and what every experiment's figure shares - the style, the
figure's frame, the reference lines, axes and legend entries.

Every style setting lives in a context manager and every figure is closed, so
drawing leaves matplotlib's global state as it was (Agg: no display needed).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
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

from .tables import extent  # noqa: E402

# Display names of the summaries ("read", "readwrite") and their panel order.
OPERATIONS: dict[str, str] = {"read": "read", "readwrite": "read & write"}

# Time variants: column prefix in the summary -> (legend label, colour, marker).  Overwrite
# columns exist in the readwrite summary only.
TIME_VARIANTS: dict[str, tuple[str, str, str]] = {
    "serial": ("serial", "#1f77b4", "o"),
    "pool": ("Pool", "#d62728", "s"),
    "overwrite_serial": ("overwrite, serial", "#17becf", "^"),
    "overwrite_pool": ("overwrite, Pool", "#ff7f0e", "D"),
}

# Speedup series: name -> (summary key, column prefix, legend label, colour, marker).
SPEEDUP_SERIES: dict[str, tuple[str, str, str, str, str]] = {
    "read": ("read", "speedup", "read", "#2ca02c", "o"),
    "readwrite": ("readwrite", "speedup", "read & write", "#9467bd", "s"),
    "overwrite": ("readwrite", "overwrite_speedup", "overwrite (read & write, one file)", "#ff7f0e", "D"),
}

# The appendix figures' words: English from the names above, Chinese beside them.
TEXT = {
    "en": {
        "ops": OPERATIONS,
        "variants": {variant: label for variant, (label, _, _) in TIME_VARIANTS.items()},
        "series": {name: label for name, (_, _, label, _, _) in SPEEDUP_SERIES.items()},
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
#: The least width (inches) of a row of panels under a figure-wide title and legend: one panel must still hold
#: them (tests/test_pipeline.py draws every figure and checks that no text runs past its edges).
MIN_WIDTH = 8.0


# --------------------------------------------------------------------------
# tidy frames


def long_frame(summaries: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Wide summaries -> one tidy row (LONG_COLUMNS) per operation (the summary's key), variant
    (of TIME_VARIANTS, where its ``<variant>_median`` column exists), loops and workers (seconds)."""
    return _concat(
        _tidy(summaries[operation], f"{variant}_median", variant, operation, variant)
        for operation in _ordered_keys(summaries)
        for variant in TIME_VARIANTS
        if f"{variant}_median" in summaries[operation].columns
    )


def speedup_frame(summaries: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Speedups as tidy rows: series ("read", "readwrite", "overwrite"),
    loops, workers, median (the speedup, serial / Pool), ci_low, ci_high."""
    return _concat(
        _tidy(summaries[key], prefix, prefix, key, series)
        for series, (key, prefix, *_) in SPEEDUP_SERIES.items()
        if key in summaries and prefix in summaries[key].columns
    )


def ideal_speedup(workers: int, cores: int) -> int:
    """The best speedup a Pool can give: one task per core at most, so min(workers, cores) (at least 1)."""
    return max(1, min(int(workers), int(cores)))


def ideal_label(workers: int, cores: int, language: str = "en") -> str:
    """Legend text of the ideal-speedup line, e.g. "ideal: min(4 workers, 2 cores) = 2×"."""
    return TEXT[language]["ideal_label"].format(
        workers=_plural(workers, "worker", language),
        cores=_plural(cores, "core", language),
        ideal=ideal_speedup(workers, cores),
    )


def _tidy(summary: pd.DataFrame, median: str, prefix: str, operation: str, variant: str) -> pd.DataFrame:
    """The rows of ``median`` and its interval ``<prefix>_ci_low`` / ``_ci_high`` (NaN where missing),
    by workers and loops."""
    ends = (f"{prefix}_ci_low", f"{prefix}_ci_high")
    low, high = (summary[c].astype(float).to_numpy() if c in summary.columns else np.nan for c in ends)
    return pd.DataFrame(
        {
            "operation": operation,
            "variant": variant,
            "loops": summary["loops"].astype(int).to_numpy(),
            "workers": summary["workers"].astype(int).to_numpy(),
            "median": summary[median].astype(float).to_numpy(),
            "ci_low": low,
            "ci_high": high,
        }
    ).sort_values(["workers", "loops"], kind="stable")


def _concat(parts: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """The parts (in display order: operations, then variants) as one frame, or an empty one."""
    return pd.concat([*parts] or [pd.DataFrame(columns=LONG_COLUMNS)], ignore_index=True)


def _series(data: pd.DataFrame, labels: Mapping[str, str], specs: Mapping[str, tuple]) -> tuple:
    """A tidy frame's rows with x (loops, its series dodged apart) and label (``labels``: series -> legend
    label, in display order), its series' (colour, marker) by label (``specs``' last two), its loops and workers."""
    series = [s for s in labels if s in set(data["variant"])]
    loops = sorted(int(x) for x in data["loops"].unique())
    x = data["loops"] * dodge(data["variant"], series, 0.012 * max(span(loops), 2.0))
    data = data.assign(x=x, label=data["variant"].map(labels))
    return data, {labels[s]: specs[s][-2:] for s in series}, loops, sorted(int(w) for w in data["workers"].unique())


def _ordered_keys(summaries: Mapping[str, pd.DataFrame]) -> list[str]:
    known = [k for k in OPERATIONS if k in summaries]
    return known + [k for k in summaries if k not in OPERATIONS]


# --------------------------------------------------------------------------
# the appendix's figures


def plot_time(
    summaries: Mapping[str, pd.DataFrame],
    out_paths: Iterable[str | Path],
    ceiling: Mapping[str, float] | None = None,
    language: str = "en",
) -> None:
    """time.png (docs/experiments/appendix.md, "Reading the figures"); ``ceiling``: the ceiling experiment's
    raw seconds per operation in one process, {"read": s, "readwrite": s}."""
    language = figure_language(language)
    t = TEXT[language]
    operations = _ordered_keys(summaries)
    data, styles, loops, workers = _series(long_frame(summaries), t["variants"], TIME_VARIANTS)
    if not operations or not workers:
        raise ValueError("plot_time: no rows to plot")
    nrows, ncols = len(workers), len(operations)
    size = (max(5.0, PANEL_WIDTH * ncols + 0.6), PANEL_HEIGHT * nrows + 1.3)
    with figure(out_paths, nrows, ncols, squeeze=False, sharex=True, sharey=True, figsize=size) as (fig, axes):
        for i, w in enumerate(workers):
            for j, op in enumerate(operations):
                ax = axes[i][j]
                lines(ax, data[(data["operation"] == op) & (data["workers"] == w)], styles)
                raw = (ceiling or {}).get(op)
                if raw is not None and np.isfinite(raw) and raw > 0:
                    xs = np.array([min(loops), max(loops)], dtype=float)
                    ax.plot(xs, xs * raw, zorder=1, **CEILING)
                ax.set_yscale("log")
                _loop_ticks(ax, loops)
                title = t["ops"].get(op, op) + (f": Pool(processes={w})" if nrows > 1 else "")
                ax.set(title=title, xlabel=t["loops"] if i == nrows - 1 else "", ylabel=t["time"] if j == 0 else "")
        handles = series_handles(styles)
        if ceiling and any(np.isfinite(ceiling.get(op, np.nan)) for op in operations):
            handles.append(line(t["ceiling"], **CEILING))
        seconds_ticks(axes[0][0])  # y is shared: one call sets every panel
        interval = _interval_text(summaries, "time", language)
        title = t["time_title"].format(workers=_workers_text(workers), interval=interval)
        finish(fig, title, handles, ncol=min(len(handles), 3))


def plot_speedup(
    summaries: Mapping[str, pd.DataFrame], cores: int, out_paths: Iterable[str | Path], language: str = "en"
) -> None:
    """speedup.png (docs/experiments/appendix.md, "Reading the figures")."""
    language = figure_language(language)
    t = TEXT[language]
    data, styles, loops, workers = _series(speedup_frame(summaries), t["series"], SPEEDUP_SERIES)
    if not workers:
        raise ValueError("plot_speedup: no rows to plot")
    top = log_limits(data[["median", "ci_high"]], *(ideal_speedup(w, cores) for w in workers), pad=1.12)[1]
    ncols = min(len(workers), 3)
    nrows = math.ceil(len(workers) / ncols)
    size = (max(8.0, 4.4 * ncols + 0.6), PANEL_HEIGHT * nrows + 1.7)
    with figure(out_paths, nrows, ncols, squeeze=False, sharey=True, figsize=size) as (fig, axes):
        for ax in axes.flat[len(workers) :]:
            ax.set_visible(False)
        for j, w in enumerate(workers):
            ax = axes.flat[j]
            reference_lines(ax, ideal_speedup(w, cores))
            lines(ax, data[data["workers"] == w], styles)
            _loop_ticks(ax, loops)
            ratio_axis(ax, 0, top)
            ax.set_title(f"Pool(processes={w})\n{ideal_label(w, cores, language)}")
            ax.set(xlabel=t["loops"], ylabel=t["speedup"] if j % ncols == 0 else "")
        handles = [*series_handles(styles), line(t["no_gain"], **NO_GAIN)]
        if any(ideal_speedup(w, cores) != 1 for w in workers):
            handles.append(line(t["ideal"], **IDEAL))
        title = t["speedup_title"].format(
            workers=_workers_text(workers),
            cores=_plural(cores, "core", language),
            interval=_interval_text(summaries, "speedup", language),
        )
        finish(fig, title, handles, ncol=min(len(handles), 3))


# --------------------------------------------------------------------------
# style, language and font


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


# --------------------------------------------------------------------------
# what every figure shares

MARKED = {"markersize": 6, "linewidth": 1.6}  # a series: line and markers
NO_GAIN = {"color": "0.45", "linestyle": "--", "linewidth": 1.2}  # the 1× line
IDEAL = {"color": "black", "linestyle": ":", "linewidth": 1.5}  # the ideal speedup, min(workers, cores)
CEILING = {"color": "0.35", "linestyle": (0, (4, 2, 1, 2)), "linewidth": 1.3}  # the raw ceiling of one process
BOX = {"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85}  # behind a label
# sns.lineplot in :func:`lines`: one line with markers per label, the values as they are, no legend
SEABORN_LINES = {"hue": "label", "style": "label", "dashes": False, "estimator": None, "errorbar": None, "sort": True}
SEABORN_LINES |= {"legend": False, "zorder": 3, **MARKED}


@contextmanager
def figure(out_paths: Iterable[str | Path], nrows: int = 1, ncols: int = 1, **subplots) -> Iterator:
    """``with figure(out_paths, nrows, ncols, figsize=...) as (fig, axes):`` - ``plt.subplots`` in
    :func:`style` with the constrained layout; the figure is saved to ``out_paths`` when the block
    ends, and closed in any case."""
    with style():
        fig, axes = plt.subplots(nrows, ncols, layout="constrained", **subplots)
        try:
            yield fig, axes
            save(fig, out_paths)
        finally:
            plt.close(fig)


def finish(
    fig: Figure, suptitle: str, handles: list | None = None, ncol: int = 3, titlesize: str = "medium", **legend
) -> None:
    """The figure's title, and the legend of ``handles`` under its panels (``legend``: as ``fig.legend``)."""
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncol=ncol, frameon=False, **legend)
    fig.suptitle(suptitle, fontsize=titlesize)


def legend_below(ax: Axes, *args, drop: float = 0.14, ncol: int = 2, **kwargs) -> None:
    """A panel's own legend under it, ``drop`` (a fraction of its height) below (``args``: as ``ax.legend``)."""
    ax.legend(
        *args, loc="upper center", bbox_to_anchor=(0.5, -drop), ncol=ncol, frameon=False, fontsize="small", **kwargs
    )


def line(label: str, **style) -> Line2D:
    """A legend entry: a line (and marker) of ``style``."""
    return Line2D([], [], label=label, **style)


def series_handles(styles: Mapping[str, tuple[str, str]]) -> list[Line2D]:
    """The legend entries of :func:`lines`' series, ``styles``: label -> (colour, marker)."""
    return [line(label, color=colour, marker=marker, **MARKED) for label, (colour, marker) in styles.items()]


def label(ax: Axes, text: str, xy, offset=(0, 3), ha: str = "center", va: str = "bottom", **style) -> None:
    """``text`` in small print ``offset`` points away from ``xy`` (data coordinates unless
    ``xycoords`` says otherwise; ``style`` goes to ``Axes.annotate``)."""
    ax.annotate(text, xy, xytext=offset, textcoords="offset points", ha=ha, va=va, fontsize="small", **style)


def reference_lines(ax: Axes, ideal: float | None = None, **no_gain) -> None:
    """The 1× line (no gain; ``no_gain`` restyles it) and, unless it is 1×, the ideal speedup's, under the data."""
    ax.axhline(1.0, zorder=1, **{**NO_GAIN, **no_gain})
    if ideal is not None and ideal != 1:
        ax.axhline(ideal, zorder=1, **IDEAL)


def plain_labels(axis, suffix: str = "") -> None:
    """Major tick labels of ``axis`` as plain numbers ("0.5", "20"), followed by ``suffix``."""
    axis.set_major_formatter(ticker.FuncFormatter(lambda v, _pos: f"{v:g}{suffix}"))


def ratio_axis(ax: Axes, low: float, high: float, log: bool = False) -> None:
    """y as ratios from ``low`` to ``high``, labelled "2×"; on a log scale with unlabelled minor ticks."""
    if log:
        ax.set_yscale("log")
        ax.yaxis.set_minor_formatter(ticker.NullFormatter())
    ax.set_ylim(low, high)
    plain_labels(ax.yaxis, "×")


def log_limits(values, *include: float, pad: float) -> tuple[float, float]:
    """The lowest / ``pad`` and highest × ``pad`` of the finite, positive ``values`` and of ``include``."""
    v = np.asarray(values, dtype=float).ravel()
    v = [*v[np.isfinite(v) & (v > 0)], *include]
    return min(v) / pad, max(v) * pad


def log_x(ax: Axes, values, labels=None, pad: float = 1.4, base: float = 10) -> None:
    """x on a log scale with ticks at exactly ``values`` (see :func:`fixed_ticks`), the
    axis reaching ``pad`` times beyond the outer ones."""
    ax.set_xscale("log", base=base)
    fixed_ticks(ax.xaxis, values, labels)
    if len(values) > 1:
        ax.set_xlim(min(values) / pad, max(values) * pad)


def fixed_ticks(axis, values, labels=None) -> None:
    """Major ticks of ``axis`` (``ax.xaxis`` or ``ax.yaxis``) at exactly ``values``, labelled
    ``labels`` (by default the values as text), and no minor ticks."""
    axis.set_major_locator(ticker.FixedLocator(values))
    axis.set_major_formatter(ticker.FixedFormatter([str(v) for v in values] if labels is None else labels))
    axis.set_minor_locator(ticker.NullLocator())


def span(values, base: float = 2) -> float:
    """How many powers of ``base`` ``values`` span (1 for fewer than two values)."""
    values = [float(v) for v in values]
    return math.log(max(values) / min(values), base) if len(values) > 1 and min(values) > 0 else 1.0


def dodge(keys, order, step: float, base: float = 2) -> np.ndarray:
    """Factors for x on a log axis that set the series of ``order`` apart by ``step``
    powers of ``base`` each, centred on 1 (one per element of ``keys``), so that
    their bars at one x do not hide one another."""
    index = pd.Series(keys).map({v: i for i, v in enumerate(order)}).astype(float).to_numpy()
    return np.power(float(base), (index - (len(order) - 1) / 2) * step)


def lines(
    ax: Axes,
    sub: pd.DataFrame,
    styles: Mapping[str, tuple[str, str]],
    y: str = "median",
    low: str = "ci_low",
    high: str = "ci_high",
    elinewidth: float = 1.2,
) -> None:
    """Seaborn lines of ``y`` against ``x``, one per ``label`` (``styles``: label -> (colour,
    marker)), then the interval [low, high] as error bars in the same colours."""
    if sub.empty:
        ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", va="center", color="0.5")
        return
    order = [label for label in styles if label in set(sub["label"])]
    palette = {label: colour for label, (colour, _) in styles.items()}
    markers = {label: marker for label, (_, marker) in styles.items()}
    look = {"palette": palette, "markers": markers, "hue_order": order, "style_order": order}
    sns.lineplot(data=sub, x="x", y=y, ax=ax, **look, **SEABORN_LINES)
    for label, rows in sub.groupby("label", sort=False):
        rows = rows.dropna(subset=[y, low, high])
        interval_bars(
            ax, rows["x"], rows[y], rows[low], rows[high], ecolor=palette[label], elinewidth=elinewidth, zorder=2
        )


def interval_bars(ax: Axes, x, centre, low, high, **style) -> None:
    """``centre`` at ``x`` with its interval [low, high] as error bars (``style``
    goes to ``Axes.errorbar``; by default bars only, with caps)."""
    x, centre, low, high = (np.asarray(v, dtype=float) for v in (x, centre, low, high))
    yerr = [np.clip(centre - low, 0, None), np.clip(high - centre, 0, None)]
    ax.errorbar(x, centre, yerr=yerr, **{"fmt": "none", "capsize": 3, **style})


def bar_intervals(ax: Axes, groups, **style) -> None:
    """Whiskers [ci_low, ci_high] about the median of each row of each of ``groups`` on the bars
    of ``ax.containers`` (a container per group, in order; ``style`` goes to :func:`interval_bars`)."""
    for bars, rows in zip(ax.containers, groups):
        x = [b.get_x() + b.get_width() / 2 for b in bars]
        interval_bars(ax, x, rows["median"], rows["ci_low"], rows["ci_high"], **{"ecolor": "0.2", **style})


def _loop_ticks(ax: Axes, loops: list[int]) -> None:
    """x on a log2 scale, labelled at the loop counts (every k-th where there are many)."""
    ax.set_xscale("log", base=2)
    shown = loops[:: math.ceil(len(loops) / 12)]  # keep labels readable: every k-th of more than 12
    fixed_ticks(ax.xaxis, shown, [f"{x:,}" for x in shown])
    if len(loops) > 1:
        ax.set_xlim(min(loops) / 2**0.35, max(loops) * 2**0.35)
    if max(len(f"{x:,}") for x in shown) * len(shown) > 40:
        ax.tick_params(axis="x", labelrotation=45)


def seconds_ticks(ax: Axes, suffix: str = "") -> None:
    """Plain-number labels (followed by ``suffix``) on a log y axis: 1-2-5 steps where the axis
    spans few decades (else one label per decade), unlabelled minor ticks."""
    low, high = ax.get_ylim()
    decades = math.log10(high / low) if low > 0 and high > low else 1.0
    subs = (1.0, 2.0, 5.0) if decades <= 3.5 else (1.0,)
    ax.yaxis.set_major_locator(ticker.LogLocator(base=10, subs=subs))
    plain_labels(ax.yaxis, suffix)
    ax.yaxis.set_minor_locator(ticker.LogLocator(base=10, subs="auto"))
    ax.yaxis.set_minor_formatter(ticker.NullFormatter())


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
            if column.endswith("_ci_coverage") and ("speedup" in column) == (kind == "speedup"):
                coverage.extend(summary[column].dropna().astype(float))
            if column.endswith("_n"):
                runs.extend(summary[column].dropna().astype(int))
    t = TEXT[language]
    cover = f"≥ {min(coverage):.0%}" if coverage else "95%"
    n = t["runs"].format(runs=extent(runs)) if runs else ""
    return t["bars"][kind].format(point=t["point"][kind], n=n, cover=cover)


def save(fig: Figure, out_paths: Iterable[str | Path]) -> None:
    for path in map(Path, out_paths):
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=150, metadata={"Date": None} if path.suffix.lower() == ".svg" else None)
