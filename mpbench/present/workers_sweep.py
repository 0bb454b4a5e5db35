"""workers_sweep: summary, table, figure and findings (docs/experiments/workers_sweep.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..claims import ABOUT_80
from ..fileio import OPERATIONS
from ..tables import fmt_p, fmt_ratio, fmt_seconds, fmt_span
from .common import (
    WORDS,
    bilingual,
    by_variant,
    columns_table,
    few_repeats,
    flag,
    for_figure,
    in_words,
    ordered,
    paired,
    summarize_with,
)

WRITES = ("readwrite", "overwrite")
CONDITIONS = ("start_method", "chunksize", "cache", "fsync", "scratch_fs")
OPTIONAL = ("pool_start_seconds", "map_seconds", "chunksize_effective", "usable_cores")
SPEEDUP = "speedup speedup_ci_low speedup_ci_high p_vs_baseline"


def _names(prefix: str) -> str:
    """The columns of a paired time ratio (common.paired): time_vs_best, time_vs_best_low, ..."""
    return f"{prefix} {prefix}_low {prefix}_high {prefix}_p {prefix}_significant"


def _compare(secs: dict, this: str, ref: str | None, prefix: str) -> dict:
    """Paired time ratio this / ref (above 1: ``this`` is slower), interval, p, significance."""
    if this == "serial" or ref == this or ref not in secs:
        return {**dict.fromkeys(_names(prefix).split(), np.nan), f"{prefix}_significant": False}
    return paired(secs[this], secs[ref], names=_names(prefix))


def summarize(raw: pd.DataFrame, level: float) -> pd.DataFrame:
    """Per operation also the best worker count (highest median speedup) and every count's paired time
    against it (``time_vs_best``) and against the one at the core count (``time_vs_cores``)."""
    raw = raw.assign(**{c: np.nan for c in OPTIONAL if c not in raw})
    conditions = {c: (c, lambda s: ",".join(sorted(s.dropna().astype(str).unique()))) for c in CONDITIONS if c in raw}
    summary = summarize_with(
        raw,
        ["operation"],
        level,
        workers=("workers", "first"),
        loops=("loops", "first"),
        chunksize_effective=("chunksize_effective", "first"),
        pool_start_median=("pool_start_seconds", "median"),
        map_median=("map_seconds", "median"),
        cores=("usable_cores", "max"),
        **conditions,
    )
    # the cell's name (the columns before "median"): operation, variant, workers
    name = ["operation", "variant", "workers"]
    summary = summary[[*name, *[c for c in summary if c not in name]]]
    out = []
    for op, rows in summary.groupby("operation", sort=False):
        secs = by_variant(raw[raw["operation"] == op])
        pool = rows[rows["variant"] != "serial"]
        ranked = pool.sort_values(["speedup", "workers"], ascending=[False, True])
        best = ranked["variant"].iloc[0] if len(ranked) else None
        ref = _core_reference(pool["workers"], rows["cores"].max())
        ref_variant = pool.loc[pool["workers"] == ref, "variant"].iloc[0] if ref is not None else None
        for row in rows.to_dict("records"):
            row.update(_compare(secs, row["variant"], best, "time_vs_best"))
            row.update(_compare(secs, row["variant"], ref_variant, "time_vs_cores"))
            row.update(
                best_workers=ranked["workers"].iloc[0] if best else np.nan,
                runner_up_workers=ranked["workers"].iloc[1] if len(ranked) > 1 else np.nan,
                cores_reference_workers=ref if ref is not None else np.nan,
            )
            out.append(row)
    return _ordered(pd.DataFrame(out))


def _core_reference(workers, cores) -> int | None:
    """The measured worker count standing for "as many as cores": the largest
    one not above the core count (else the smallest measured)."""
    workers = sorted(int(w) for w in workers)
    if not workers or cores is None or not np.isfinite(cores):
        return None
    below = [w for w in workers if w <= cores]
    return below[-1] if below else workers[0]


def _ordered(summary: pd.DataFrame) -> pd.DataFrame:
    """Operations in their fixed order, each serial first, then its Pools by worker count."""
    pools = summary.loc[summary["variant"].astype(str) != "serial"].sort_values("workers")["variant"].astype(str)
    return ordered(summary, ["operation", "variant"], {"operation": OPERATIONS, "variant": ["serial", *pools.unique()]})


def _facts(summary: pd.DataFrame) -> dict[str, dict]:
    """Per operation: serial row, pool rows by worker count, best and runner-up rows."""
    out = {}
    for op, rows in _ordered(summary).groupby("operation", sort=False, observed=True):
        by = {int(r["workers"]): r for _, r in rows[rows["variant"] != "serial"].iterrows()}
        first = rows.iloc[0]
        get = lambda col: by.get(int(first[col])) if np.isfinite(first[col]) else None  # noqa: E731
        serial = rows[rows["variant"] == "serial"]
        out[op] = {
            "serial": serial.iloc[0] if len(serial) else None,
            "pool": by,
            "best": get("best_workers"),
            "runner_up": get("runner_up_workers"),
            "reference": get("cores_reference_workers"),
            "cores": first["cores"],
        }
    return out


LABELS = bilingual(read=("read", "读"), readwrite=("read & write", "读&写"), overwrite=("overwrite", "写覆盖"))
COLUMNS = [
    ("Operation", "操作", lambda r: r["label"]),
    ("Processes", "进程数", lambda r: r["processes"]),
    ("Serial (s)", "串行（秒）", lambda r: r["serial"]),
    ("Pool (s)", "多进程（秒）", lambda r: fmt_seconds(r["median"])),
    ("Speedup (x)", "提升（倍）", lambda r: fmt_ratio(r["speedup"])),
    ("Speedup interval (x)", "提升区间（倍）", lambda r: fmt_span(r["speedup_ci_low"], r["speedup_ci_high"])),
    ("p (vs serial)", "p（对串行）", lambda r: fmt_p(r["p_vs_baseline"])),
]


def table(summary: pd.DataFrame, language: str = "zh") -> str:
    data, facts = _ordered(summary), _facts(summary)
    text, rows, lines = TEXT[language], [], []
    for op, f in facts.items():
        label, best, runner = LABELS[language].get(op, op), f["best"], f["runner_up"]
        serial = fmt_seconds(f["serial"]["median"]) if f["serial"] is not None else "n/a"
        for w, r in f["pool"].items():
            mark = f" ({text['best']})" if best is not None and w == int(best["workers"]) else ""
            rows.append({**r.to_dict(), "label": label, "processes": f"{w}{mark}", "serial": serial})
        if best is None:
            continue
        w, s = int(best["workers"]), fmt_ratio(best["speedup"])
        if runner is None:
            lines.append("- " + text["alone"].format(op=label, w=w, s=s))
            continue
        verdict = text["yes"] if flag(runner["time_vs_best_significant"]) else text["no"]
        more = dict(op=label, w=w, s=s, r=int(runner["workers"]), rs=fmt_ratio(runner["speedup"]), verdict=verdict)
        lines.append("- " + in_words(text["line"], runner, _names("time_vs_best"), language, **more))
    cond = {c: ", ".join(sorted(set(data[c].dropna().astype(str)))) if c in data else "n/a" for c in CONDITIONS}
    note = text["note"].format(n=int(data["n"].min()), loops=_ints(data["loops"]), cores=_ints(data["cores"]), **cond)
    return columns_table(COLUMNS, rows, language) + "\n\n" + "\n".join(lines) + "\n\n" + note + "\n"


def _ints(values) -> str:
    v = sorted({int(x) for x in pd.Series(values).dropna()})
    return ", ".join(map(str, v)) or "n/a"


STYLE = {"read": ("#2ca02c", "o"), "readwrite": ("#9467bd", "s"), "overwrite": ("#ff7f0e", "D")}


FIGURE = bilingual(
    best=(" (best: {w} worker{s})", "（最佳：{w} 个进程）"),
    star=("best worker count (highest median speedup)", "最佳进程数（中位数加速比最高）"),
    ideal=("ideal: min(w, {cores} core{s})", "理想值：min(w, {cores} 个核)"),
    cores=("core count ({cores})", "核数（{cores}）"),
    x=("Pool workers w (processes, log2 scale)", "Pool 的进程数 w（log2 刻度）"),
    y=("speedup (median of paired serial / Pool ratios, ×)", "加速比（串行 / Pool 配对比值的中位数，×）"),
    title=(
        "Speedup against worker count, loops = {loops}, on {cores} core{s}\npoints: medians of {n} runs; bars: intervals of the paired ratios (coverage ≥ {cover})",
        "加速比随进程数变化，loops = {loops}，{cores} 个核\n点：{n} 次运行的中位数；误差线：配对比值的区间（覆盖率 ≥ {cover}）",
    ),
)
TEXT = {  # the table's words, then the findings'
    "en": {
        "best": "best",
        "line": "{op}: best worker count {w} ({s}×); runner-up {r} ({rs}×), whose time is {ratio}× "
        "the best's (interval {low}–{high}, p = {p}): {verdict}.",
        "yes": "significantly different",
        "no": "not distinguishable",
        "alone": "{op}: only one worker count, {w} ({s}×), was measured.",
        "note": "Each cell is the median of {n} repetitions of {loops} file operations (loops); Pool times include "
        "creating the Pool, map, close and join. Speedup = serial / Pool; its interval and p come from the "
        "paired ratios of the same repetition. Conditions: start method {start_method}, chunksize "
        "{chunksize}, page cache {cache}, fsync {fsync}, written files on {scratch_fs}; {cores} cores.",
        "vs": "{ratio}× the time of {other} (interval {low}–{high}, p = {p}, {sig})",
        "the_best": "the best",
        "speed": "{ratio}× (interval {low}–{high}, {where}, p = {p})",
        "claim": "{op} on {cores} cores, the seed's 'more processes are faster, up to the core count'",
        "step": "rose step by step",
        "not_step": "rose, not step by step",
        "fell": "fell",
        "up": "from {low_w} to {r} workers the median speedup {shape}, {low}× to {ref}×; Pool({low_w}) took {vs}, so ",
        "rising": "the claim {v} here",
        "flat": "no significant rise up to the core count",
        "unchecked": "no worker count below {r} was measured, so the rise up to the core count is not checked",
        "claim_end": "{claim}: {up}.",
        "slower": "significantly slower than Pool({r})",
        "faster": "significantly faster than Pool({r})",
        "same": "not significantly different from Pool({r})",
        "beyond": "{claim}: {up}. Beyond {r} workers ({listed}) the largest, Pool({top}), took {vs}: {change}.",
        "not_80": "{op}: the seed's 'about 80-way parallel is best for writes' was not measured here (no worker count within {lo}–{hi}; measured {measured}).",
        "holds": "{v} here",
        "best_tie": "is {v} here: Pool({w}) had the lowest median but is not distinguishable from the runner-up (more repetitions would decide)",
        "apart": "; it is distinguishable from the runner-up",
        "close": "; it is not distinguishable from the runner-up",
        "fails": "{v} here: Pool({w}) was slower than the best, Pool({b})",
        "other_tie": "is {v} here: the lowest median is Pool({b})'s, but Pool({w}) is not distinguishable from it (more repetitions would decide)",
        "reached": "; Pool({w}) reached {speed} and took {vs}",
        "about_80": "{op}: the seed's 'about 80-way parallel is best for writes' (we count {lo}–{hi} workers as about 80) {verdict}{tail}. In the seed's own table Pool was fixed at 4 and 80 was the loop count, so this checks the claim as a worker count, at loops = {loops}.",
        "best_line": "{op}: the best worker count was {w}, speedup {speed}",
        "none_faster": " - no worker count was faster than the serial loop",
        "runner": "; the runner-up, Pool({w}), took {vs}",
        "end": ".",
        "pairs": "With {n} paired repetitions the paired test cannot give p below {p:.3g}, so no difference here can be significant at 5%; 6 or more repetitions are needed.",
        "idle": "With loops = {loops} and the default chunksize rule there are at most {loops} tasks, so worker counts above {loops} start processes that get no task; their cost is start-up only.",
    },
    "zh": {
        "best": "最佳",
        "line": "{op}：最佳进程数 {w}（提升 {s} 倍）；次佳 {r}（{rs} 倍），次佳耗时为最佳的 {ratio} 倍"
        "（区间 {low}–{high}，p = {p}）：{verdict}。",
        "yes": "差异显著",
        "no": "两者无法区分",
        "alone": "{op}：只测了一个进程数 {w}（提升 {s} 倍）。",
        "note": "每格为 {n} 次重复的中位数；每次运行 {loops} 次文件操作（loops），多进程含创建、map、close、join。"
        "提升 = 串行 / 多进程，区间与 p 来自同一次重复的配对比值。测量条件：启动方式 {start_method}，"
        "chunksize {chunksize}，页缓存 {cache}，fsync {fsync}，写入文件系统 {scratch_fs}；本机 {cores} 核。",
        "vs": "耗时是 {other} 的 {ratio}×（区间 {low}–{high}，p = {p}，{sig}）",
        "the_best": "最佳进程数",
        "speed": "{ratio}×（区间 {low}–{high}，{where}，p = {p}）",
        "claim": "{op}，{cores} 个核：原文“进程越多越快，直到核数为止”",
        "step": "逐级上升",
        "not_step": "有所上升，但并非逐级上升",
        "fell": "下降",
        "up": "从 {low_w} 个到 {r} 个进程，中位数加速比{shape}，从 {low}× 到 {ref}×；Pool({low_w}) 的{vs}，所以",
        "rising": "这一说法在这里{v}",
        "flat": "直到核数都没有显著的上升",
        "unchecked": "没有测少于 {r} 个进程的情况，所以没有检查直到核数为止的上升",
        "claim_end": "{claim}：{up}。",
        "slower": "显著慢于 Pool({r})",
        "faster": "显著快于 Pool({r})",
        "same": "与 Pool({r}) 没有显著差异",
        "beyond": "{claim}：{up}。超过 {r} 个进程时（{listed}），最大的 Pool({top}) {vs}：{change}。",
        "not_80": "{op}：这里没有测原文的“写操作约 80 路并行最佳”（没有 {lo}–{hi} 之间的进程数；测了 {measured}）。",
        "holds": "在这里{v}",
        "best_tie": "在这里{v}：Pool({w}) 的中位数最低，但与次佳无法区分（更多重复才能判定）",
        "apart": "；它与次佳可以区分",
        "close": "；它与次佳无法区分",
        "fails": "在这里{v}：Pool({w}) 慢于最佳的 Pool({b})",
        "other_tie": "在这里{v}：中位数最低的是 Pool({b})，但 Pool({w}) 与它无法区分（更多重复才能判定）",
        "reached": "；Pool({w}) 的加速比为 {speed}，{vs}",
        "about_80": "{op}：原文的“写操作约 80 路并行最佳”（我们把 {lo}–{hi} 个进程算作约 80）{verdict}{tail}。原文自己的表中 Pool 固定为 4，80 是循环次数，所以这里是把该说法当作进程数来检验，loops = {loops}。",
        "best_line": "{op}：最佳进程数为 {w}，加速比 {speed}",
        "none_faster": "——没有哪个进程数快于串行循环",
        "runner": "；次佳的 Pool({w}) {vs}",
        "end": "。",
        "pairs": "只有 {n} 次配对重复时，配对检验给不出低于 {p:.3g} 的 p，所以这里的差异都不可能在 5% 水平上显著；需要 6 次或更多重复。",
        "idle": "loops = {loops} 且使用默认 chunksize 规则时最多只有 {loops} 个任务，所以超过 {loops} 的进程数会启动分不到任务的进程，其开销只有启动。",
    },
}


def plot(summary: pd.DataFrame, cores: int, out_paths, language: str = "en") -> None:
    plots, language, t = for_figure(language, FIGURE)
    data, facts = _ordered(summary), _facts(summary)
    pool = data[data["variant"] != "serial"]
    workers = sorted(int(w) for w in pool["workers"].unique())
    ops = list(facts)
    plural = "s" if cores != 1 else ""
    core_line = {"color": "#8c564b", "linestyle": "-.", "linewidth": 1.2}
    with plots.figure(out_paths, figsize=(9.0, 5.6)) as (fig, ax):
        lo_x, hi_x = min(workers + [cores]) / 1.35, max(workers + [cores]) * 1.35
        grid = np.geomspace(max(1.0, lo_x), hi_x, 200)
        ax.plot(grid, np.minimum(grid, cores), zorder=1, **plots.IDEAL)
        plots.reference_lines(ax)
        ax.axvline(cores, zorder=1, **core_line)
        handles, star = [], {"marker": "*", "markeredgecolor": "black", "linestyle": "none"}
        step = 0.012 * max(plots.span(workers), 2)
        for op, shift in zip(ops, plots.dodge(ops, ops, step)):
            colour, marker = STYLE.get(op, ("0.3", "o"))
            rows = pd.DataFrame(list(facts[op]["pool"].values()))
            x = rows["workers"].astype(float) * shift
            ends = rows["speedup"], rows["speedup_ci_low"], rows["speedup_ci_high"]
            look = {"marker": marker, "color": colour, **plots.MARKED}
            plots.interval_bars(ax, x, *ends, fmt="-", elinewidth=1.2, zorder=3, **look)
            best, best_text = facts[op]["best"], ""
            if best is not None:
                bx = float(x[rows["workers"].astype(int) == int(best["workers"])].iloc[0])
                ax.plot([bx], [best["speedup"]], markersize=17, color=colour, zorder=4, **star)
                bw = int(best["workers"])
                best_text = t["best"].format(w=bw, s="s" if bw != 1 else "")
            handles.append(plots.line(f"{op}{best_text}", color=colour, marker=marker, linewidth=1.6))
        handles += [
            plots.line(t["star"], color="0.5", markersize=13, **star),
            plots.line(t["ideal"].format(cores=cores, s=plural), **plots.IDEAL),
            plots.line(t["cores"].format(cores=cores), **core_line),
            plots.line(plots.TEXT[language]["no_gain"], **plots.NO_GAIN),
        ]
        plots.log_x(ax, workers, base=2)
        ax.set_xlim(lo_x, hi_x)
        highs = pool[["speedup", "speedup_ci_high"]].to_numpy(float)
        plots.ratio_axis(ax, 0, max([float(cores), *highs[np.isfinite(highs)]]) * 1.25)
        ax.set(xlabel=t["x"], ylabel=t["y"])
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize="small")
        cover = pool["speedup_ci_coverage"].dropna()
        cover = f"{cover.min():.0%}" if len(cover) else "n/a"
        n = int(data["n"].min())
        plots.finish(fig, t["title"].format(loops=_ints(data["loops"]), cores=cores, s=plural, n=n, cover=cover))


def _vs(row, prefix: str, other: str, language: str = "en") -> str:
    return in_words(TEXT[language]["vs"], row, _names(prefix), language, other=other)


def _speed(row, language: str = "en") -> str:
    return in_words(TEXT[language]["speed"], row, SPEEDUP, language)


def _core_claim(op: str, f: dict, cores: int, language: str = "en") -> str:
    """The seed's "more processes are faster, up to the core count", for one operation."""
    t, by, ref = TEXT[language], f["pool"], f["reference"]
    r = int(ref["workers"])
    claim = t["claim"].format(op=op, cores=cores)
    lower = [w for w in by if w < r]
    if lower:
        low = by[lower[0]]
        rising = flag(low["time_vs_cores_significant"]) and low["time_vs_cores"] > 1
        medians = [by[w]["speedup"] for w in [*lower, r]]
        ascending = all(b >= a for a, b in zip(medians, medians[1:]))
        shape = "step" if ascending else "not_step" if medians[-1] > medians[0] else "fell"
        speedups = {"low": fmt_ratio(low["speedup"]), "ref": fmt_ratio(ref["speedup"])}
        vs = _vs(low, "time_vs_cores", f"Pool({r})", language)
        up = t["up"].format(low_w=lower[0], r=r, shape=t[shape], vs=vs, **speedups)
        up += t["rising" if rising else "flat"].format(v=WORDS[language]["holds"])
    else:
        up = t["unchecked"].format(r=r)
    beyond = [w for w in by if w > r]
    if not beyond:
        return t["claim_end"].format(claim=claim, up=up)
    top = by[beyond[-1]]
    listed = ", ".join(f"{w}: {fmt_ratio(by[w]['speedup'])}×" for w in beyond)
    change = (
        t["slower" if top["time_vs_cores"] > 1 else "faster"] if flag(top["time_vs_cores_significant"]) else t["same"]
    ).format(r=r)
    vs = _vs(top, "time_vs_cores", f"Pool({r})", language)
    return t["beyond"].format(claim=claim, up=up, r=r, listed=listed, top=beyond[-1], vs=vs, change=change)


def _about_80(op: str, f: dict, loops: int, language: str = "en") -> str:
    """The seed's "about 80-way parallel is best for writes", earned by the paired test against the best."""
    t, best, runner, by = TEXT[language], f["best"], f["runner_up"], f["pool"]
    lo80, hi80 = ABOUT_80
    near = [w for w in by if lo80 <= w <= hi80]
    if not near:
        return t["not_80"].format(op=op, lo=lo80, hi=hi80, measured=", ".join(map(str, by)))
    w80, b = min(near, key=lambda w: abs(w - 80)), int(best["workers"])
    apart = runner is not None and flag(runner["time_vs_best_significant"])
    words = WORDS[language]
    if w80 == b:
        verdict = (
            t["holds"].format(v=words["holds"])
            if runner is None or apart
            else t["best_tie"].format(w=w80, v=words["inconclusive"])
        )
        tail = t["apart" if apart else "close"] if runner is not None else ""
    else:
        fails = flag(by[w80]["time_vs_best_significant"])
        verdict = t["fails" if fails else "other_tie"].format(
            w=w80, b=b, v=words["does not hold" if fails else "inconclusive"]
        )
        tail = t["reached"].format(
            w=w80, speed=_speed(by[w80], language), vs=_vs(by[w80], "time_vs_best", t["the_best"], language)
        )
    return t["about_80"].format(op=op, lo=lo80, hi=hi80, verdict=verdict, tail=tail, loops=loops)


def findings(summary: pd.DataFrame, env: dict, language: str = "en") -> list[str]:
    t, data, facts, out = TEXT[language], _ordered(summary), _facts(summary), []
    loops = int(data["loops"].max())
    for op, f in facts.items():
        best, runner = f["best"], f["runner_up"]
        if best is None:
            continue
        cores = int(f["cores"]) if np.isfinite(f["cores"]) else env.get("usable_cores", "?")
        text = t["best_line"].format(op=op, w=int(best["workers"]), speed=_speed(best, language))
        if best["speedup_ci_high"] < 1:
            text += t["none_faster"]
        if runner is not None:
            vs = _vs(runner, "time_vs_best", t["the_best"], language)
            text += t["runner"].format(w=int(runner["workers"]), vs=vs)
        out.append(text + t["end"])
        if op in WRITES:
            out.append(_about_80(op, f, loops, language))
        if f["reference"] is not None:
            out.append(_core_claim(op, f, cores, language))
    if facts and (few := few_repeats(int(data["n"].min()), t["pairs"])):
        out.append(few)
    if facts and max(max(f["pool"], default=0) for f in facts.values()) > loops:
        out.append(t["idle"].format(loops=loops))
    return out
