"""lock: summary, table, figure and findings (docs/experiments/lock.md)."""

from __future__ import annotations

import pandas as pd

from ..experiments.lock import VARIANTS
from ..tables import fmt_ratio, fmt_seconds, markdown_table
from .common import ordered, summarize_variants


def summarize(raw: pd.DataFrame, level: float) -> pd.DataFrame:
    summary = summarize_variants(raw, ["workers"], level, baseline="serial")
    counts = (
        raw.groupby(["workers", "variant"])
        .agg(
            expected_count=("expected_count", "first"),
            final_count_median=("final_count", "median"),
            final_count_min=("final_count", "min"),
            lost_updates_median=("lost_updates", "median"),
            lost_updates_max=("lost_updates", "max"),
            runs_with_lost_updates=("lost_updates", lambda s: int((s > 0).sum())),
        )
        .reset_index()
    )
    out = summary.merge(counts, on=["workers", "variant"], validate="one_to_one")
    return _ordered(out)


LABELS = {
    "zh": {"serial": "串行（1 个进程）", "no_lock": "无锁", "lock_each": "每次加锁", "lock_batch": "每批加锁一次"},
    "en": {
        "serial": "serial (one process)",
        "no_lock": "no lock",
        "lock_each": "lock per increment",
        "lock_batch": "lock per batch",
    },
}
HEADER = {
    "zh": [
        "进程数",
        "方式",
        "耗时中位数（秒）",
        "相对串行（倍）",
        "最终计数（中位数）",
        "预期计数",
        "丢失更新（中位数 / 最多）",
    ],
    "en": [
        "Processes",
        "Variant",
        "Median time (s)",
        "Speedup vs serial (x)",
        "Final count (median)",
        "Expected count",
        "Lost updates (median / max)",
    ],
}


def _ordered(summary: pd.DataFrame) -> pd.DataFrame:
    return ordered(summary, ["workers", "variant"], {"variant": VARIANTS})


def table(summary: pd.DataFrame, language: str = "zh") -> str:
    summary = _ordered(summary)
    rows = [
        [
            str(r.workers),
            LABELS[language][r.variant],
            fmt_seconds(r.median),
            fmt_ratio(r.speedup),
            f"{int(r.final_count_median):,}",
            f"{int(r.expected_count):,}",
            f"{int(r.lost_updates_median):,} / {int(r.lost_updates_max):,}",
        ]
        for r in summary.itertuples()
    ]
    return markdown_table(HEADER[language], rows) + "\n"


TEXT = {
    "en": {
        "processes": "processes",
        "time_y": "time for all increments (s, log)",
        "time_title": "time: median, interval of the median as bars",
        "lost": "{lost:,} of {expected:,} lost\n({k} of {n} runs lost any)",
        "share_y": "lost updates without a lock (% of increments)",
        "share_title": "no lock: median share of increments lost",
        "title": "Lock: counter.value += 1 from several processes",
        "lost_runs": "With {workers} processes and no lock, {k} of {n} runs lost updates: the counter ended at {final:,} of {expected:,} (median; {worst:,} lost at worst), so `counter.value += 1` is not atomic across processes.",
        "no_loss": "With {workers} processes and no lock, none of {n} runs lost an update here; that is the luck of scheduling on this machine, not a guarantee.",
        "cost": "With {workers} processes, a lock around every increment took {each} s, {each_x:.1f}× the unlocked time; taking it once per batch took {batch} s ({batch_x:.2f}×), and both counts were exact.",
    },
    "zh": {
        "processes": "进程数",
        "time_y": "全部自增的耗时（秒，对数）",
        "time_title": "耗时：中位数，误差线为中位数的区间",
        "lost": "{expected:,} 次中丢失 {lost:,} 次\n（{n} 次运行中 {k} 次有丢失）",
        "share_y": "不加锁时丢失的更新（占自增次数的 %）",
        "share_title": "不加锁：丢失的自增次数占比（中位数）",
        "title": "进程锁：多个进程执行 counter.value += 1",
        "lost_runs": "{workers} 个进程不加锁时，{n} 次运行中有 {k} 次丢失了更新：计数器最终为 {final:,}，预期 {expected:,}（中位数；最多丢失 {worst:,} 次），可见 `counter.value += 1` 在进程之间不是原子操作。",
        "no_loss": "{workers} 个进程不加锁时，这里 {n} 次运行都没有丢失更新；这只是本机调度的运气，并无保证。",
        "cost": "{workers} 个进程时，每次自增都加锁耗时 {each} 秒，是不加锁的 {each_x:.1f}×；每批只加锁一次耗时 {batch} 秒（{batch_x:.2f}×），两种加锁方式的计数都准确无误。",
    },
}


def plot(summary: pd.DataFrame, cores: int, out_paths, language: str = "en") -> None:
    import seaborn as sns

    from .. import plots  # here: tables and findings need no plotting libraries

    language = plots.figure_language(language)
    t, labels = TEXT[language], LABELS[language]
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
            lost = t["lost"].format(
                lost=int(r["lost_updates_median"]),
                expected=int(r["expected_count"]),
                k=int(r["runs_with_lost_updates"]),
                n=int(r["n"]),
            )
            plots.label(right, lost, (i, share[i]))
        right.set(xlabel=t["processes"], ylabel=t["share_y"], title=t["share_title"])
        plots.finish(fig, t["title"])


def findings(summary: pd.DataFrame, env: dict, language: str = "en") -> list[str]:
    t, out = TEXT[language], []
    for workers, rows in _ordered(summary).groupby("workers", sort=True):
        by = rows.set_index("variant")
        nolock = by.loc["no_lock"]
        n = int(nolock["n"])
        expected = int(nolock["expected_count"])
        if nolock["runs_with_lost_updates"] > 0:
            out.append(
                t["lost_runs"].format(
                    workers=workers,
                    k=int(nolock["runs_with_lost_updates"]),
                    n=n,
                    final=int(nolock["final_count_median"]),
                    expected=expected,
                    worst=int(nolock["lost_updates_max"]),
                )
            )
        else:
            out.append(t["no_loss"].format(workers=workers, n=n))
        each, batch = by.loc["lock_each"], by.loc["lock_batch"]
        out.append(
            t["cost"].format(
                workers=workers,
                each=fmt_seconds(each["median"]),
                each_x=each["median"] / nolock["median"],
                batch=fmt_seconds(batch["median"]),
                batch_x=batch["median"] / nolock["median"],
            )
        )
    return out
