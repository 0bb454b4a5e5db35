"""lock: summary, table, figure and findings (docs/experiments/lock.md)."""

from __future__ import annotations

from functools import partial

import pandas as pd

from ..experiments.lock import VARIANTS
from ..tables import fmt_seconds
from .common import COLUMN, bilingual, columns_table, for_figure, ordered, summarize_with

_ordered = partial(ordered, by=["workers", "variant"], orders={"variant": VARIANTS})


def summarize(raw: pd.DataFrame, level: float) -> pd.DataFrame:
    summary = summarize_with(
        raw,
        ["workers"],
        level,
        expected_count=("expected_count", "first"),
        final_count_median=("final_count", "median"),
        final_count_min=("final_count", "min"),
        lost_updates_median=("lost_updates", "median"),
        lost_updates_max=("lost_updates", "max"),
        runs_with_lost_updates=("lost_updates", lambda s: int((s > 0).sum())),
    )
    return _ordered(summary)


LABELS = bilingual(
    serial=("serial (one process)", "串行（1 个进程）"),
    no_lock=("no lock", "无锁"),
    lock_each=("lock per increment", "每次加锁"),
    lock_batch=("lock per batch", "每批加锁一次"),
)


def table(summary: pd.DataFrame, language: str = "zh") -> str:
    columns = [
        COLUMN["processes"],
        ("Variant", "方式", lambda r: LABELS[language][r.variant]),
        COLUMN["median"],
        COLUMN["speedup"],
        ("Final count (median)", "最终计数（中位数）", lambda r: f"{int(r.final_count_median):,}"),
        ("Expected count", "预期计数", lambda r: f"{int(r.expected_count):,}"),
        (
            "Lost updates (median / max)",
            "丢失更新（中位数 / 最多）",
            lambda r: f"{int(r.lost_updates_median):,} / {int(r.lost_updates_max):,}",
        ),
    ]
    return columns_table(columns, _ordered(summary).itertuples(), language) + "\n"


FIGURE = bilingual(
    processes=("processes", "进程数"),
    time_y=("time for all increments (s, log)", "全部自增的耗时（秒，对数）"),
    time_title=("time: median, interval of the median as bars", "耗时：中位数，误差线为中位数的区间"),
    lost=(
        "{lost:,} of {expected:,} lost\n({k} of {n} runs lost any)",
        "{expected:,} 次中丢失 {lost:,} 次\n（{n} 次运行中 {k} 次有丢失）",
    ),
    share_y=("lost updates without a lock (% of increments)", "不加锁时丢失的更新（占自增次数的 %）"),
    share_title=("no lock: median share of increments lost", "不加锁：丢失的自增次数占比（中位数）"),
    title=("Lock: counter.value += 1 from several processes", "进程锁：多个进程执行 counter.value += 1"),
)
TEXT = {
    "en": {
        "lost_runs": "With {workers} processes and no lock, {k} of {n} runs lost updates: the counter ended at {final:,} of {expected:,} (median; {worst:,} lost at worst), so `counter.value += 1` is not atomic across processes.",
        "no_loss": "With {workers} processes and no lock, none of {n} runs lost an update here; that is the luck of scheduling on this machine, not a guarantee.",
        "cost": "With {workers} processes, a lock around every increment took {each} s, {each_x:.1f}× the unlocked time; taking it once per batch took {batch} s ({batch_x:.2f}×), and both counts were exact.",
    },
    "zh": {
        "lost_runs": "{workers} 个进程不加锁时，{n} 次运行中有 {k} 次丢失了更新：计数器最终为 {final:,}，预期 {expected:,}（中位数；最多丢失 {worst:,} 次），可见 `counter.value += 1` 在进程之间不是原子操作。",
        "no_loss": "{workers} 个进程不加锁时，这里 {n} 次运行都没有丢失更新；这只是本机调度的运气，并无保证。",
        "cost": "{workers} 个进程时，每次自增都加锁耗时 {each} 秒，是不加锁的 {each_x:.1f}×；每批只加锁一次耗时 {batch} 秒（{batch_x:.2f}×），两种加锁方式的计数都准确无误。",
    },
}


def _counts(row) -> dict[str, int]:
    """The no-lock row's counts, by the names the texts use: runs and lost updates, then counter values."""
    names = {"n": "n", "k": "runs_with_lost_updates", "lost": "lost_updates_median", "worst": "lost_updates_max"}
    names |= {"final": "final_count_median", "expected": "expected_count"}
    return {name: int(row[column]) for name, column in names.items()}


def plot(summary: pd.DataFrame, cores: int, out_paths, language: str = "en") -> None:
    import seaborn as sns

    plots, language, t = for_figure(language, FIGURE)
    labels = LABELS[language]
    data = _ordered(summary)
    data = data.assign(label=data["variant"].astype(str).map(labels))
    with plots.figure(out_paths, 1, 2, figsize=(11, 4.6)) as (fig, (left, right)):
        order = [labels[v] for v in VARIANTS]
        sns.barplot(data=data, x="workers", y="median", hue="label", ax=left, errorbar=None, hue_order=order)
        plots.bar_intervals(left, [rows for _, rows in data.groupby("variant", observed=True, sort=True)])
        left.set_yscale("log")
        plots.seconds_ticks(left)
        left.set(xlabel=t["processes"], ylabel=t["time_y"], title=t["time_title"])
        sns.move_legend(left, "upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, title=None, frameon=False)
        nolock = data[data["variant"] == "no_lock"].reset_index(drop=True)
        share = nolock["lost_updates_median"] / nolock["expected_count"] * 100
        sns.barplot(x=nolock["workers"].astype(str), y=share, ax=right, color="#d62728")
        right.set_ylim(0, max(float(share.max()) * 1.25, 1.0))
        for i, r in nolock.iterrows():
            plots.label(right, t["lost"].format(**_counts(r)), (i, share[i]))
        right.set(xlabel=t["processes"], ylabel=t["share_y"], title=t["share_title"])
        plots.finish(fig, t["title"])


def findings(summary: pd.DataFrame, env: dict, language: str = "en") -> list[str]:
    t, out = TEXT[language], []
    for workers, rows in _ordered(summary).groupby("workers", sort=True):
        by = rows.set_index("variant")
        nolock = by.loc["no_lock"]
        counts = _counts(nolock)
        out.append(t["lost_runs" if counts["k"] > 0 else "no_loss"].format(workers=workers, **counts))
        cost = {}
        for name in ("each", "batch"):
            median = by.loc[f"lock_{name}", "median"]
            cost |= {name: fmt_seconds(median), f"{name}_x": median / nolock["median"]}
        out.append(t["cost"].format(workers=workers, **cost))
    return out
