"""The blog post's conclusions, checked against this run's measurements: each check returns holds,
does not hold, inconclusive or not measured, with the numbers behind it, by the rules of docs/claims.md."""

from __future__ import annotations

import math
from functools import partial

from .lazy import numpy as np
from .lazy import pandas as pd
from .post import pick_workers
from .tables import fmt_ratio, markdown_table

HOLDS, FAILS, INCONCLUSIVE, UNKNOWN = "holds", "does not hold", "inconclusive", "not measured"
VERDICTS = (HOLDS, FAILS, INCONCLUSIVE, UNKNOWN)
ABOUT_80 = (64, 100)  # the counts (of loops, of workers) that count as "about 80", here and in present.workers_sweep
#: "No speedup" allows the Pool to be up to this much faster (overwrite_no_parallel), and
#: "not faster" up to this much (cores_limit): a difference smaller than this is no difference.
MARGIN = 0.10
#: The family-wise error of the claims that rest on several paired tests (Holm).
ALPHA = 0.05
MORE = "more repetitions at these points (max_repeats, budget_minutes) would narrow the intervals and decide it"


def _claim(cid: str, seed_text: str, english: str, verdict: str, evidence: str, decide: str = "") -> dict:
    assert verdict in VERDICTS, verdict
    return {
        "id": cid,
        "seed": seed_text,
        "claim": english,
        "verdict": verdict,
        "evidence": evidence,
        "decide": decide if verdict == INCONCLUSIVE else "",
    }


# Intervals, and verdicts from them.
def interval(row, prefix: str = "speedup", level: float = 0.95) -> tuple[float, float] | None:
    """The (low, high) interval ``prefix``_ci_low/_ci_high of a summary row, or None
    when it is missing (NaN) or covers less than ``level`` (too few repetitions)."""
    low, high = row.get(f"{prefix}_ci_low"), row.get(f"{prefix}_ci_high")
    coverage = row.get(f"{prefix}_ci_coverage", level)
    if pd.isna(low) or pd.isna(high) or (pd.notna(coverage) and float(coverage) + 1e-9 < level):
        return None
    return float(low), float(high)


def order(a: tuple[float, float] | None, b: tuple[float, float] | None) -> str:
    """Interval ``a`` against ``b``: "above" / "below" (disjoint), "overlap", or "unknown"."""
    if a is None or b is None:
        return "unknown"
    if a[0] > b[1]:
        return "above"
    if a[1] < b[0]:
        return "below"
    return "overlap"


def _ci(i: tuple[float, float] | None) -> str:
    return f"{fmt_ratio(i[0])}–{fmt_ratio(i[1])}" if i is not None else "no 95% interval"


def holm(p_values: list[float], alpha: float = ALPHA) -> list[bool]:
    """Holm's step-down rejections for ``p_values`` at family-wise level ``alpha``."""
    ranked = sorted(range(len(p_values)), key=lambda i: math.inf if pd.isna(p_values[i]) else p_values[i])
    reject = [False] * len(p_values)
    m = len(p_values)
    for k, i in enumerate(ranked):
        p = p_values[i]
        if pd.isna(p) or p > alpha / (m - k):
            break
        reject[i] = True
    return reject


def _best_by_intervals(sub: pd.DataFrame, key: str, inside: pd.Series) -> tuple[str, str, str]:
    """Is the best speedup inside the band ``inside`` (a boolean mask of ``sub``)?  The verdict (by the rule of
    docs/claims.md), the evidence and what would decide it."""
    band, rest = sub[inside], sub[~inside]
    top = band.loc[band["speedup"].idxmax()]
    top_i = interval(top)
    above = [
        r for _, r in rest.iterrows() if all(order(interval(r), interval(b)) == "above" for _, b in band.iterrows())
    ]
    below = [r for _, r in rest.iterrows() if order(interval(r), top_i) == "below"]
    evidence = f"in the band, {int(top[key])}: {top['speedup']:.2f}× ({_ci(top_i)}); outside: " + ", ".join(
        f"{int(r[key])}: {r['speedup']:.2f}× ({_ci(interval(r))})" for _, r in rest.iterrows()
    )
    if above:
        return FAILS, evidence + f"; above every count in the band: {', '.join(str(int(r[key])) for r in above)}", ""
    if len(below) == len(rest):
        return HOLDS, evidence + "; every count outside the band lies below", ""
    open_ = [str(int(r[key])) for _, r in rest.iterrows() if order(interval(r), top_i) != "below"]
    return INCONCLUSIVE, evidence, f"the intervals at {', '.join(open_)} overlap the band's best; {MORE}"


# The claims, in the order of the post.
def reads_more_parallel_is_better(read: pd.DataFrame | None) -> dict:
    """读操作，并行越多越好: the read speedup grows with the number of reads handed to the Pool."""
    seed = "读操作，并行越多越好"
    en = "Reads: the more parallel, the better (speedup grows with the number of parallel reads)"
    claim = partial(_claim, "reads_more_parallel", seed, en)
    if read is None or read.empty or read["loops"].nunique() < 3:
        return claim(UNKNOWN, "needs the read table at 3 or more loop counts")
    w = pick_workers(read)
    sub = read[read["workers"] == w].sort_values("loops").reset_index(drop=True)
    first, last = sub.iloc[0], sub.iloc[-1]
    i_first, i_last = interval(first), interval(last)
    beyond = [r for _, r in sub.iloc[:-1].iterrows() if order(interval(r), i_last) == "above"]
    evidence = f"Pool({w}): " + ", ".join(
        f"{int(r.loops)} loops {r.speedup:.2f}× ({_ci(interval(r))})" for _, r in sub.iterrows()
    )
    if beyond or order(i_last, i_first) == "below":
        falls = ", ".join(str(int(r["loops"])) for r in beyond) or str(int(first["loops"]))
        return claim(FAILS, evidence + f"; the largest count lies below the one at {falls} loops")
    if order(i_last, i_first) == "above":
        return claim(
            HOLDS, evidence + "; the largest count lies above the smallest and no count lies above the largest"
        )
    return claim(
        INCONCLUSIVE, evidence, f"the intervals at {int(first['loops'])} and {int(last['loops'])} loops overlap; {MORE}"
    )


def writes_best_at_about_80(readwrite: pd.DataFrame | None, workers_sweep: pd.DataFrame | None = None) -> list[dict]:
    """写操作，并行路数在 80 左右最好, read two ways: as the loop count of the
    post's table (Pool(4) fixed) and as a worker count (workers_sweep)."""
    seed = "写操作，并行路数在 80 左右最好"
    lo, hi = ABOUT_80
    en = f"Writes: best at about 80-way parallel, read as the loop count of the table ({lo}–{hi})"
    claim = partial(_claim, "writes_80_loops", seed, en)
    if readwrite is None or readwrite.empty:
        out = [claim(UNKNOWN, "the read & write table was not measured")]
    else:
        w = pick_workers(readwrite)
        sub = readwrite[readwrite["workers"] == w].sort_values("loops")
        inside = sub["loops"].between(lo, hi)
        if not inside.any() or inside.all():
            measured = ", ".join(str(int(x)) for x in sub["loops"])
            out = [claim(UNKNOWN, f"needs loop counts inside and outside {lo}–{hi} (measured: {measured})")]
        else:
            verdict, evidence, decide = _best_by_intervals(sub, "loops", inside)
            out = [claim(verdict, f"Pool({w}), loops: {evidence}", decide)]
    en = f"Writes: best at about 80-way parallel, read as the number of worker processes ({lo}–{hi})"
    claim = partial(_claim, "writes_80_workers", seed, en)
    rows = (
        None
        if workers_sweep is None or workers_sweep.empty
        else workers_sweep[
            workers_sweep["operation"].isin(["readwrite", "overwrite"]) & (workers_sweep["variant"] != "serial")
        ]
    )
    if rows is None or rows.empty:
        return [*out, claim(UNKNOWN, "the workers_sweep experiment did not run writes")]
    tasks = int(rows["loops"].max()) if "loops" in rows and rows["loops"].notna().any() else None
    if tasks is not None and tasks < lo:
        why = (
            f"workers_sweep gives every Pool {tasks} tasks (workers_sweep.loops), so a Pool of {lo}–{hi} "
            f"workers has idle workers and cannot show what that many writers do; set "
            f"workers_sweep.loops to {hi} or more to ask"
        )
        return [*out, claim(UNKNOWN, why)]
    verdicts, parts, decides = [], [], []
    for op, sub in rows.groupby("operation", sort=True):
        sub = sub.sort_values("workers")
        inside = sub["workers"].between(lo, hi)
        if not inside.any() or inside.all():
            parts.append(f"{op}: needs worker counts inside and outside {lo}–{hi}")
            continue
        verdict, evidence, decide = _best_by_intervals(sub, "workers", inside)
        verdicts.append(verdict)
        parts.append(f"{op}, workers: {evidence}")
        if decide:
            decides.append(f"{op}: {decide}")
    return [*out, claim(_combine(verdicts), "; ".join(parts), "; ".join(decides))]


def _combine(verdicts: list[str]) -> str:
    """Several parts of one claim (operations): it does not hold when one part does not,
    holds when every part holds, is inconclusive otherwise; not measured without parts."""
    if not verdicts:
        return UNKNOWN
    if FAILS in verdicts:
        return FAILS
    return HOLDS if all(v == HOLDS for v in verdicts) else INCONCLUSIVE


def overwrite_is_slower(readwrite: pd.DataFrame | None) -> dict:
    """The rule of ``overwrite_slower`` (docs/claims.md): overwriting one shared file is slower than new files."""
    seed = "写操作时，无论是否使用并行，当进行覆盖写文件时，耗时变长"
    en = "Overwriting one shared file takes longer than writing new files, serially and through a Pool"
    claim = partial(_claim, "overwrite_slower", seed, en)
    need = {"overwrite_pool_median", "overwrite_serial_median"}
    if readwrite is None or readwrite.empty or not need <= set(readwrite.columns):
        return claim(UNKNOWN, "the overwrite runs were not measured")
    w = pick_workers(readwrite)
    sub = readwrite[(readwrite["workers"] == w) & (readwrite["loops"] > 1)].sort_values("loops")
    if sub.empty:
        return claim(UNKNOWN, "needs loop counts above 1")
    counts, parts = {}, []
    # With the paired sign tests (the pipeline's read & write job runs the overwrite beside it) the
    # 2 x loop-count comparisons are one family: Holm's correction decides which differ.
    tests = [(mode, i) for mode in ("serial", "pool") for i in sub.index]
    p_values = [
        sub.at[i, f"overwrite_{mode}_ratio_p"] if f"overwrite_{mode}_ratio_p" in sub else math.nan for mode, i in tests
    ]
    paired_tests = all(pd.notna(p) for p in p_values)
    differs = dict(zip(tests, holm(p_values))) if paired_tests else {}
    for mode in ("serial", "pool"):
        result = {"slower": [], "faster": [], "open": []}
        for i, r in sub.iterrows():
            if paired_tests:
                ratio = r[f"overwrite_{mode}_ratio"]
                where = ("above" if ratio > 1 else "below") if differs[(mode, i)] and ratio != 1 else "overlap"
            else:
                where = order(interval(r, f"overwrite_{mode}"), interval(r, mode))
            key = {"above": "slower", "below": "faster"}.get(where, "open")
            result[key].append(int(r["loops"]))
        counts[mode] = result
        if f"overwrite_{mode}_ratio" in sub and sub[f"overwrite_{mode}_ratio"].notna().all():
            ratio, how = float(np.median(sub[f"overwrite_{mode}_ratio"])), "paired ratios"
        else:
            ratio = float(np.median(sub[f"overwrite_{mode}_median"] / sub[f"{mode}_median"]))
            how = "ratio of medians, unpaired"
        parts.append(
            f"{mode}: overwrite / new files {ratio:.2f}× ({how}, median over loop counts); slower at "
            f"{_loops(result['slower'])}, faster at {_loops(result['faster'])}, undecided at "
            f"{_loops(result['open'])}"
        )
    n = len(sub)
    how = (
        f"paired sign tests, Holm-corrected over {len(tests)}"
        if paired_tests
        else "intervals of the medians (runs not paired)"
    )
    evidence = f"Pool({w}), {n} loop counts above 1 ({how}); " + "; ".join(parts)
    if any(c["faster"] for c in counts.values()):
        return claim(FAILS, evidence + " (faster is against the claim)")
    if all(len(c["slower"]) > n / 2 for c in counts.values()):
        return claim(HOLDS, evidence)
    return claim(INCONCLUSIVE, evidence, f"slower at no more than half of the loop counts in one mode; {MORE}")


def _loops(values: list[int]) -> str:
    return ", ".join(str(v) for v in values) if values else "none"


def overwrite_defeats_parallel(readwrite: pd.DataFrame | None) -> dict:
    """The rule of ``overwrite_no_parallel`` (docs/claims.md): a Pool overwrites no faster than a loop."""
    seed = "写覆盖操作会让并行操作失效"
    en = f"Overwriting makes the Pool ineffective (at most {MARGIN:.0%} faster than serial overwriting)"
    claim = partial(_claim, "overwrite_no_parallel", seed, en)
    if readwrite is None or readwrite.empty or "overwrite_speedup" not in readwrite:
        return claim(UNKNOWN, "the overwrite runs were not measured")
    w = pick_workers(readwrite)
    sub = readwrite[readwrite["workers"] == w].sort_values("loops")
    last = sub.iloc[-1]
    i = interval(last, "overwrite_speedup")
    evidence = (
        f"Pool({w}) at {int(last['loops'])} loops: overwrite speedup {last['overwrite_speedup']:.2f}× "
        f"({_ci(i)}), new files {last['speedup']:.2f}× ({_ci(interval(last))})"
    )
    if i is None:
        return claim(INCONCLUSIVE, evidence, "no 95% interval: at least 6 repetitions of the point")
    if i[1] <= 1 + MARGIN:
        return claim(HOLDS, evidence + f"; the interval lies below {1 + MARGIN:.2f}×")
    if i[0] > 1 + MARGIN:
        return claim(FAILS, evidence + f"; the interval lies above {1 + MARGIN:.2f}×")
    return claim(INCONCLUSIVE, evidence, f"the interval straddles {1 + MARGIN:.2f}×; {MORE}")


def more_cores_faster(workers_sweep: pd.DataFrame | None, cores: int) -> dict:
    """The rule of ``more_cores_faster`` (docs/claims.md): up to the core count, each step up is faster."""
    seed = "在上线范围内，核数越多，速度越快"
    en = "Up to the core count, more processes are faster"
    claim = partial(_claim, "more_cores_faster", seed, en)
    if workers_sweep is None or workers_sweep.empty:
        return claim(UNKNOWN, "the workers_sweep experiment did not run")
    rows = workers_sweep[(workers_sweep["variant"] != "serial") & (workers_sweep["workers"] <= cores)]
    verdicts, parts, open_ = [], [], []
    for op, sub in rows.groupby("operation", sort=True):
        sub = sub.sort_values("workers").reset_index(drop=True)
        if len(sub) < 2:
            continue
        intervals = [interval(r) for _, r in sub.iterrows()]
        steps = [order(b, a) for a, b in zip(intervals, intervals[1:])]
        verdicts.append(FAILS if "below" in steps else HOLDS if all(s == "above" for s in steps) else INCONCLUSIVE)
        parts.append(
            f"{op}: "
            + ", ".join(f"Pool({int(r.workers)}) {r.speedup:.2f}× ({_ci(interval(r))})" for _, r in sub.iterrows())
        )
        open_ += [
            f"{op} Pool({int(sub.iloc[k]['workers'])})→Pool({int(sub.iloc[k + 1]['workers'])})"
            for k, s in enumerate(steps)
            if s != "above"
        ]
    if not verdicts:
        return claim(UNKNOWN, f"needs two or more worker counts up to the {cores} usable cores")
    return claim(
        _combine(verdicts),
        f"{cores} usable cores; " + "; ".join(parts),
        f"the steps {', '.join(open_)} have overlapping intervals; {MORE}",
    )


def cores_are_the_limit(workers_sweep: pd.DataFrame | None, cores: int) -> dict:
    """The rule of ``cores_limit`` (docs/claims.md): no worker count above the cores is faster."""
    seed = "processes 默认是 cpu 核的个数，也是并行能力的上线"
    en = f"The core count is the upper limit of parallelism (more processes than cores are not faster by over {MARGIN:.0%})"
    claim = partial(_claim, "cores_limit", seed, en)
    need = {"time_vs_cores", "time_vs_cores_low", "time_vs_cores_high", "time_vs_cores_p", "cores_reference_workers"}
    if workers_sweep is None or workers_sweep.empty or not need <= set(workers_sweep.columns):
        return claim(UNKNOWN, "the workers_sweep experiment did not run")
    above = workers_sweep[(workers_sweep["variant"] != "serial") & (workers_sweep["workers"] > cores)]
    if above.empty:
        return claim(UNKNOWN, f"no worker count above the {cores} usable cores was measured")
    above = above.sort_values(["operation", "workers"]).reset_index(drop=True)
    # one-sided "faster" p-values for the Holm step-down: the two-sided p halved where the ratio is below 1
    p_faster = [r.time_vs_cores_p / 2 if r.time_vs_cores < 1 else 1.0 for r in above.itertuples()]
    rejected = holm(p_faster)
    faster = [r for r, rej in zip(above.itertuples(), rejected) if rej and r.time_vs_cores_high < 1]
    not_faster = [r.time_vs_cores_low >= 1 - MARGIN for r in above.itertuples()]
    ref = int(above["cores_reference_workers"].iloc[0])
    evidence = f"time against Pool({ref}) (the core count's): " + ", ".join(
        f"{r.operation} Pool({int(r.workers)}) {r.time_vs_cores:.2f}× ({_ci((r.time_vs_cores_low, r.time_vs_cores_high))})"
        for r in above.itertuples()
    )
    if faster:
        named = ", ".join(f"{r.operation} Pool({int(r.workers)})" for r in faster)
        return claim(FAILS, evidence + "; faster (Holm-corrected over the counts above the cores): " + named)
    if all(not_faster):
        return claim(HOLDS, evidence + f"; every interval lies above {1 - MARGIN:.2f}×")
    open_ = [f"{r.operation} Pool({int(r.workers)})" for r, ok in zip(above.itertuples(), not_faster) if not ok]
    return claim(
        INCONCLUSIVE,
        evidence,
        f"the intervals of {', '.join(open_)} reach below {1 - MARGIN:.2f}× without a significant difference; {MORE}",
    )


def close_join_optional(close_join: pd.DataFrame | None) -> dict:
    """The rule of ``close_join_optional`` (docs/claims.md): results complete without them; a count."""
    seed = "close join 这两句到底是什么意思，可有可无？"
    en = "close() and join() are optional for getting the results (the post asks)"
    claim = partial(_claim, "close_join_optional", seed, en)
    if close_join is None or close_join.empty or "runs_complete" not in close_join:
        return claim(UNKNOWN, "the close_join experiment did not run")
    rows = close_join[close_join["variant"] == "no_close_join"]
    if rows.empty:
        return claim(UNKNOWN, "the pattern without close() and join() was not run")
    complete = bool((rows["runs_complete"] == rows["n"]).all())
    parts = [
        f"{r.api}: results complete without close()/join() in {int(r.runs_complete)} of {int(r.n)} runs"
        for r in rows.itertuples()
    ]
    with_both = close_join[close_join["variant"] == "close_join"]
    if not with_both.empty and "children_alive_after_max" in with_both:
        parts.append(
            f"with both, at most {int(with_both['children_alive_after_max'].max())} workers alive at the return"
        )
    join_only = close_join[close_join["variant"] == "join_only"]
    if not join_only.empty and "runs_error" in join_only:
        parts.append(f"join() alone failed in {int(join_only['runs_error'].sum())} of {int(join_only['n'].sum())} runs")
    return claim(HOLDS if complete else FAILS, "; ".join(parts))


def cpu_needs_large_size(crossover: pd.DataFrame | None) -> dict:
    """The rule of ``cpu_large_size`` (docs/claims.md): slower than the loop when small, faster when large."""
    seed = "数学运算要达到较高数量级后才能体现多进程的优势"
    en = "CPU-bound work must be large before processes pay off (slower when small, faster when large)"
    claim = partial(_claim, "cpu_large_size", seed, en)
    if crossover is None or crossover.empty:
        return claim(UNKNOWN, "the crossover experiment did not run")
    pool = crossover[crossover["variant"] == "pool"]
    parts, small_where, large_where = [], [], []
    one = (1.0, 1.0)
    for w, sub in pool.groupby("workers", sort=True):
        sub = sub.sort_values("size")
        if len(sub) < 2:
            continue
        small, large = sub.iloc[0], sub.iloc[-1]
        small_where.append(order(interval(small), one))
        large_where.append(order(interval(large), one))
        parts.append(
            f"Pool({int(w)}): {fmt_ratio(small['speedup'])}× ({_ci(interval(small))}) at n = {int(small['size']):,}, "
            f"{fmt_ratio(large['speedup'])}× ({_ci(interval(large))}) at n = {int(large['size']):,}"
        )
    if not parts:
        return claim(UNKNOWN, "needs two or more sizes")
    evidence = "; ".join(parts)
    if "above" in small_where:
        return claim(FAILS, evidence + "; the Pool already pays off at the smallest size")
    if all(x == "below" for x in large_where):
        return claim(FAILS, evidence + "; the Pool does not pay off at the largest size")
    if all(x == "below" for x in small_where) and "above" in large_where:
        return claim(HOLDS, evidence)
    return claim(
        INCONCLUSIVE,
        evidence,
        f"an interval at the smallest or the largest size includes 1×; {MORE}, or a larger largest size",
    )


def check_all(summaries: dict[str, pd.DataFrame], cores: int) -> pd.DataFrame:
    """Every claim, in the order of the post."""
    get = summaries.get
    rows = [
        reads_more_parallel_is_better(get("read")),
        *writes_best_at_about_80(get("readwrite"), get("workers_sweep")),
        overwrite_is_slower(get("readwrite")),
        overwrite_defeats_parallel(get("readwrite")),
        more_cores_faster(get("workers_sweep"), cores),
        cores_are_the_limit(get("workers_sweep"), cores),
        close_join_optional(get("close_join")),
        cpu_needs_large_size(get("crossover")),
    ]
    return pd.DataFrame(rows)


def table(claims: pd.DataFrame) -> str:
    decide = claims["decide"].fillna("").astype(str) if "decide" in claims else pd.Series([""] * len(claims))
    return markdown_table(
        ["原文结论", "claim", "verdict", "the numbers behind it", "what would decide it"],
        [[r.seed, r.claim, f"**{r.verdict}**", r.evidence, d or "–"] for r, d in zip(claims.itertuples(), decide)],
    )
