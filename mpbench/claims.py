"""The blog post's conclusions, checked against this run's measurements.

Each check reads summaries the pipeline wrote and returns a verdict -
``holds``, ``does not hold`` or ``not measured`` - with the numbers behind
it.  Nothing here assumes a claim is true: a verdict exists only where the
data needed for it were measured, and "holds" needs the intervals, not only
the medians, wherever the claim is about one thing being faster or slower
than another.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .seed import pick_workers

HOLDS, FAILS, UNKNOWN = "holds", "does not hold", "not measured"
ABOUT_80 = (64, 100)


def _claim(cid: str, seed_text: str, english: str, verdict: str, evidence: str) -> dict:
    return {"id": cid, "seed": seed_text, "claim": english, "verdict": verdict, "evidence": evidence}


def _spearman(x, y) -> float:
    x, y = pd.Series(list(x), dtype=float), pd.Series(list(y), dtype=float)
    if len(x) < 3 or x.nunique() < 2 or y.nunique() < 2:
        return float("nan")
    return float(x.rank().corr(y.rank()))


def reads_more_parallel_is_better(read: pd.DataFrame | None) -> dict:
    """读操作，并行越多越好: the read speedup grows with the number of reads handed to the Pool."""
    seed, en = "读操作，并行越多越好", "Reads: the more parallel, the better (speedup grows with the number of parallel reads)"
    if read is None or read.empty or read["loops"].nunique() < 3:
        return _claim("reads_more_parallel", seed, en, UNKNOWN, "needs the read table at 3 or more loop counts")
    w = pick_workers(read)
    sub = read[read["workers"] == w].sort_values("loops")
    rho = _spearman(sub["loops"], sub["speedup"])
    best = sub.loc[sub["speedup"].idxmax()]
    last = sub.iloc[-1]
    # the largest count is as good as the best when its interval reaches the best median
    top_at_end = last["speedup_ci_high"] >= best["speedup"] or int(best["loops"]) == int(last["loops"])
    verdict = HOLDS if rho >= 0.6 and top_at_end else FAILS
    evidence = (f"Pool({w}): speedup {sub.iloc[0]['speedup']:.2f}× at {int(sub.iloc[0]['loops'])} loops → "
                f"{last['speedup']:.2f}× ({last['speedup_ci_low']:.2f}–{last['speedup_ci_high']:.2f}) at "
                f"{int(last['loops'])}; best {best['speedup']:.2f}× at {int(best['loops'])} loops; rank correlation "
                f"of speedup with loops {rho:.2f} (holds needs ≥ 0.6 and the largest count within reach of the best)")
    return _claim("reads_more_parallel", seed, en, verdict, evidence)


def writes_best_at_about_80(readwrite: pd.DataFrame | None, workers_sweep: pd.DataFrame | None = None) -> list[dict]:
    """写操作，并行路数在 80 左右最好, read two ways: as the loop count of the
    post's table (Pool(4) fixed) and as a worker count (workers_sweep)."""
    seed = "写操作，并行路数在 80 左右最好"
    lo, hi = ABOUT_80
    out = []
    en = f"Writes: best at about 80-way parallel, read as the loop count of the table ({lo}–{hi})"
    if readwrite is None or readwrite.empty:
        out.append(_claim("writes_80_loops", seed, en, UNKNOWN, "the read & write table was not measured"))
    else:
        w = pick_workers(readwrite)
        sub = readwrite[readwrite["workers"] == w]
        near = sub[(sub["loops"] >= lo) & (sub["loops"] <= hi)]
        best = sub.loc[sub["speedup"].idxmax()]
        if near.empty:
            out.append(_claim("writes_80_loops", seed, en, UNKNOWN,
                              f"no loop count within {lo}–{hi} was measured (measured: "
                              f"{', '.join(str(int(x)) for x in sorted(sub['loops']))})"))
        else:
            verdict = HOLDS if lo <= int(best["loops"]) <= hi else FAILS
            n80 = near.loc[near["speedup"].idxmax()]
            out.append(_claim(
                "writes_80_loops", seed, en, verdict,
                f"Pool({w}): the best read & write speedup is {best['speedup']:.2f}× at {int(best['loops'])} loops; "
                f"at {int(n80['loops'])} loops {n80['speedup']:.2f}× ({n80['speedup_ci_low']:.2f}–"
                f"{n80['speedup_ci_high']:.2f})"))
    en = f"Writes: best at about 80-way parallel, read as the number of worker processes ({lo}–{hi})"
    rows = None if workers_sweep is None or workers_sweep.empty else workers_sweep[
        workers_sweep["operation"].isin(["readwrite", "overwrite"]) & (workers_sweep["variant"] != "serial")]
    if rows is None or rows.empty:
        out.append(_claim("writes_80_workers", seed, en, UNKNOWN, "the workers_sweep experiment did not run writes"))
        return out
    parts, verdicts = [], []
    for op, sub in rows.groupby("operation", sort=True):
        best = sub.loc[sub["speedup"].idxmax()]
        measured_near = sub[(sub["workers"] >= lo) & (sub["workers"] <= hi)]
        if measured_near.empty:
            parts.append(f"{op}: no worker count within {lo}–{hi} measured")
            continue
        verdicts.append(lo <= int(best["workers"]) <= hi)
        parts.append(f"{op}: best Pool({int(best['workers'])}) at {best['speedup']:.2f}×, Pool("
                     f"{int(measured_near.iloc[0]['workers'])}) {measured_near.iloc[0]['speedup']:.2f}×")
    verdict = UNKNOWN if not verdicts else (HOLDS if all(verdicts) else FAILS)
    out.append(_claim("writes_80_workers", seed, en, verdict, "; ".join(parts)))
    return out


def overwrite_is_slower(readwrite: pd.DataFrame | None) -> dict:
    """写覆盖…耗时变长: overwriting one shared file takes longer than writing new files, parallel or not."""
    seed = "写操作时，无论是否使用并行，当进行覆盖写文件时，耗时变长"
    en = "Overwriting one shared file takes longer than writing new files, serially and through a Pool"
    need = {"overwrite_pool_median", "overwrite_serial_median", "pool_ci_high", "overwrite_pool_ci_low"}
    if readwrite is None or readwrite.empty or not need <= set(readwrite.columns):
        return _claim("overwrite_slower", seed, en, UNKNOWN, "the overwrite runs were not measured")
    w = pick_workers(readwrite)
    sub = readwrite[(readwrite["workers"] == w) & (readwrite["loops"] > 1)]
    if sub.empty:
        return _claim("overwrite_slower", seed, en, UNKNOWN, "needs loop counts above 1")
    slower = {}
    for mode in ("serial", "pool"):
        sig = (sub[f"overwrite_{mode}_ci_low"] > sub[f"{mode}_ci_high"]).sum()
        faster = (sub[f"overwrite_{mode}_ci_high"] < sub[f"{mode}_ci_low"]).sum()
        slower[mode] = (int(sig), int(faster))
    n = len(sub)
    holds = all(sig > n / 2 for sig, _ in slower.values())
    fails = any(faster > 0 or sig <= n / 2 for sig, faster in slower.values())
    ratio = {m: float(np.median(sub[f"overwrite_{m}_median"] / sub[f"{m}_median"])) for m in ("serial", "pool")}
    evidence = (f"Pool({w}), {n} loop counts above 1: overwrite / new files = {ratio['serial']:.2f}× serially "
                f"(slower with disjoint intervals at {slower['serial'][0]}, faster at {slower['serial'][1]}), "
                f"{ratio['pool']:.2f}× through the Pool (slower at {slower['pool'][0]}, faster at {slower['pool'][1]})")
    return _claim("overwrite_slower", seed, en, HOLDS if holds else (FAILS if fails else UNKNOWN), evidence)


def overwrite_defeats_parallel(readwrite: pd.DataFrame | None) -> dict:
    """这个写覆盖操作会让并行操作失效: overwriting through a Pool is no faster than serially."""
    seed = "写覆盖操作会让并行操作失效"
    en = "Overwriting makes the Pool ineffective (no speedup over serial overwriting)"
    if readwrite is None or readwrite.empty or "overwrite_speedup" not in readwrite:
        return _claim("overwrite_no_parallel", seed, en, UNKNOWN, "the overwrite runs were not measured")
    w = pick_workers(readwrite)
    sub = readwrite[readwrite["workers"] == w].sort_values("loops")
    last = sub.iloc[-1]
    verdict = FAILS if last["overwrite_speedup_ci_low"] > 1 else HOLDS
    evidence = (f"Pool({w}) at {int(last['loops'])} loops: overwrite speedup {last['overwrite_speedup']:.2f}× "
                f"({last['overwrite_speedup_ci_low']:.2f}–{last['overwrite_speedup_ci_high']:.2f}), new files "
                f"{last['speedup']:.2f}×; holds when the overwrite interval does not lie above 1×")
    return _claim("overwrite_no_parallel", seed, en, verdict, evidence)


def more_cores_faster(workers_sweep: pd.DataFrame | None, cores: int) -> dict:
    """processes 默认是 cpu 核的个数…在上线范围内，核数越多，速度越快."""
    seed = "在上线范围内，核数越多，速度越快"
    en = "Up to the core count, more processes are faster"
    if workers_sweep is None or workers_sweep.empty:
        return _claim("more_cores_faster", seed, en, UNKNOWN, "the workers_sweep experiment did not run")
    rows = workers_sweep[(workers_sweep["variant"] != "serial") & (workers_sweep["workers"] <= cores)]
    parts, verdicts = [], []
    for op, sub in rows.groupby("operation", sort=True):
        sub = sub.sort_values("workers")
        if len(sub) < 2:
            continue
        rising = bool((np.diff(sub["speedup"].to_numpy(float)) > 0).all())
        verdicts.append(rising)
        parts.append(f"{op}: " + ", ".join(f"Pool({int(r.workers)}) {r.speedup:.2f}×" for r in sub.itertuples()))
    if not verdicts:
        return _claim("more_cores_faster", seed, en, UNKNOWN,
                      f"needs two or more worker counts up to the {cores} usable cores")
    return _claim("more_cores_faster", seed, en, HOLDS if all(verdicts) else FAILS,
                  f"{cores} usable cores; " + "; ".join(parts))


def cores_are_the_limit(workers_sweep: pd.DataFrame | None, cores: int) -> dict:
    """processes 默认是 cpu 核的个数，也是并行能力的上线: no worker count above the
    core count is significantly faster than the one at the core count."""
    seed = "processes 默认是 cpu 核的个数，也是并行能力的上线"
    en = "The core count is the upper limit of parallelism (more processes than cores are not faster)"
    need = {"time_vs_cores", "time_vs_cores_significant", "cores_reference_workers"}
    if workers_sweep is None or workers_sweep.empty or not need <= set(workers_sweep.columns):
        return _claim("cores_limit", seed, en, UNKNOWN, "the workers_sweep experiment did not run")
    above = workers_sweep[(workers_sweep["variant"] != "serial") & (workers_sweep["workers"] > cores)]
    if above.empty:
        return _claim("cores_limit", seed, en, UNKNOWN, f"no worker count above the {cores} usable cores was measured")
    faster = above[(above["time_vs_cores"] < 1) & above["time_vs_cores_significant"].astype(str).str.lower().eq("true")]
    parts = []
    for op, sub in above.groupby("operation", sort=True):
        ref = int(sub["cores_reference_workers"].iloc[0])
        best = sub.loc[sub["time_vs_cores"].idxmin()]
        parts.append(f"{op}: fastest above the core count Pool({int(best['workers'])}) at "
                     f"{best['time_vs_cores']:.2f}× the time of Pool({ref}) (p = {best['time_vs_cores_p']:.3g})")
    verdict = HOLDS if faster.empty else FAILS
    lead = (f"{len(faster)} worker count(s) above the {cores} usable cores significantly faster than at the core count; "
            if not faster.empty else f"none of the worker counts above the {cores} usable cores was significantly faster; ")
    return _claim("cores_limit", seed, en, verdict, lead + "; ".join(parts))


def close_join_optional(close_join: pd.DataFrame | None) -> dict:
    """close join 这两句到底是什么意思，可有可无？ - answered as: are the results complete without them?"""
    seed = "close join 这两句到底是什么意思，可有可无？"
    en = "close() and join() are optional for getting the results (the post asks)"
    if close_join is None or close_join.empty or "runs_complete" not in close_join:
        return _claim("close_join_optional", seed, en, UNKNOWN, "the close_join experiment did not run")
    rows = close_join[close_join["variant"] == "no_close_join"]
    if rows.empty:
        return _claim("close_join_optional", seed, en, UNKNOWN, "the pattern without close() and join() was not run")
    complete = bool((rows["runs_complete"] == rows["n"]).all())
    parts = [f"{r.api}: results complete without close()/join() in {int(r.runs_complete)} of {int(r.n)} runs"
             for r in rows.itertuples()]
    with_both = close_join[close_join["variant"] == "close_join"]
    if not with_both.empty and "children_alive_after_max" in with_both:
        parts.append(f"with both, at most {int(with_both['children_alive_after_max'].max())} workers alive at the return")
    join_only = close_join[close_join["variant"] == "join_only"]
    if not join_only.empty and "runs_error" in join_only:
        parts.append(f"join() alone failed in {int(join_only['runs_error'].sum())} of {int(join_only['n'].sum())} runs")
    return _claim("close_join_optional", seed, en, HOLDS if complete else FAILS, "; ".join(parts))


def cpu_needs_large_size(crossover: pd.DataFrame | None) -> dict:
    """数学运算要达到较高数量级后才能体现多进程的优势: holds when the Pool is slower
    than the loop at the smallest size for every worker count, and faster (its
    interval above 1x) at the largest size for at least one."""
    seed = "数学运算要达到较高数量级后才能体现多进程的优势"
    en = "CPU-bound work must be large before processes pay off (slower when small, faster when large)"
    if crossover is None or crossover.empty:
        return _claim("cpu_large_size", seed, en, UNKNOWN, "the crossover experiment did not run")
    pool = crossover[crossover["variant"] == "pool"]
    parts, slow_small, fast_large = [], [], []
    for w, sub in pool.groupby("workers", sort=True):
        sub = sub.sort_values("size")
        if len(sub) < 2:
            continue
        small, large = sub.iloc[0], sub.iloc[-1]
        slow_small.append(bool(small["speedup_ci_high"] < 1))
        fast_large.append(bool(large["speedup_ci_low"] > 1))
        parts.append(f"Pool({int(w)}): {small['speedup']:.3g}× at n = {int(small['size']):,}, "
                     f"{large['speedup']:.3g}× ({large['speedup_ci_low']:.3g}–{large['speedup_ci_high']:.3g}) "
                     f"at n = {int(large['size']):,}")
    if not parts:
        return _claim("cpu_large_size", seed, en, UNKNOWN, "needs two or more sizes")
    verdict = HOLDS if all(slow_small) and any(fast_large) else FAILS
    return _claim("cpu_large_size", seed, en, verdict, "; ".join(parts))


def check_all(summaries: dict[str, pd.DataFrame], cores: int) -> pd.DataFrame:
    """Every claim, in the order of the post."""
    get = summaries.get
    rows = [reads_more_parallel_is_better(get("read")),
            *writes_best_at_about_80(get("readwrite"), get("workers_sweep")),
            overwrite_is_slower(get("readwrite")),
            overwrite_defeats_parallel(get("readwrite")),
            more_cores_faster(get("workers_sweep"), cores),
            cores_are_the_limit(get("workers_sweep"), cores),
            close_join_optional(get("close_join")),
            cpu_needs_large_size(get("crossover"))]
    return pd.DataFrame(rows)


def table(claims: pd.DataFrame) -> str:
    from .tables import markdown_table

    return markdown_table(["原文结论", "claim", "verdict", "the numbers behind it"],
                          [[r.seed, r.claim, f"**{r.verdict}**", r.evidence] for r in claims.itertuples()])
