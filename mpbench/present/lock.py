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


def plot(summary: pd.DataFrame, cores: int, out_paths) -> None:
    import matplotlib.pyplot as plt
    import seaborn as sns

    from .. import plots  # here: tables and findings need no plotting libraries

    data = _ordered(summary)
    data = data.assign(label=data["variant"].astype(str).map(LABELS["en"]))
    order = [LABELS["en"][v] for v in VARIANTS]
    with plots.style():
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.6), layout="constrained")
        sns.barplot(data=data, x="workers", y="median", hue="label", ax=left, errorbar=None, hue_order=order)
        for bars, (_, rows) in zip(left.containers, data.groupby("variant", observed=True, sort=True)):
            x = [b.get_x() + b.get_width() / 2 for b in bars]
            left.errorbar(
                x,
                rows["median"],
                yerr=[rows["median"] - rows["ci_low"], rows["ci_high"] - rows["median"]],
                fmt="none",
                ecolor="0.2",
                capsize=3,
            )
        left.set_yscale("log")
        plots.seconds_ticks(left)
        left.set_xlabel("processes")
        left.set_ylabel("time for all increments (s, log)")
        left.set_title("time: median, interval of the median as bars")
        sns.move_legend(left, "upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, title=None, frameon=False)
        nolock = data[data["variant"] == "no_lock"].reset_index(drop=True)
        share = nolock["lost_updates_median"] / nolock["expected_count"] * 100
        sns.barplot(x=nolock["workers"].astype(str), y=share, ax=right, color="#d62728")
        right.set_ylim(0, max(float(share.max()) * 1.25, 1.0))
        for i, r in nolock.iterrows():
            right.annotate(
                f"{int(r['lost_updates_median']):,} of {int(r['expected_count']):,} lost\n"
                f"({int(r['runs_with_lost_updates'])} of {int(r['n'])} runs lost any)",
                (i, share[i]),
                ha="center",
                va="bottom",
                fontsize="small",
                xytext=(0, 3),
                textcoords="offset points",
            )
        right.set_xlabel("processes")
        right.set_ylabel("lost updates without a lock (% of increments)")
        right.set_title("no lock: median share of increments lost")
        fig.suptitle("Lock: counter.value += 1 from several processes", fontsize="medium")
        plots.save(fig, out_paths)


def findings(summary: pd.DataFrame, env: dict) -> list[str]:
    out = []
    for workers, rows in _ordered(summary).groupby("workers", sort=True):
        by = rows.set_index("variant")
        nolock = by.loc["no_lock"]
        n = int(nolock["n"])
        expected = int(nolock["expected_count"])
        if nolock["runs_with_lost_updates"] > 0:
            out.append(
                f"With {workers} processes and no lock, {int(nolock['runs_with_lost_updates'])} of {n} runs lost updates: "
                f"the counter ended at {int(nolock['final_count_median']):,} of {expected:,} (median; "
                f"{int(nolock['lost_updates_max']):,} lost at worst), so `counter.value += 1` is not atomic across processes."
            )
        else:
            out.append(
                f"With {workers} processes and no lock, none of {n} runs lost an update here; "
                f"that is the luck of scheduling on this machine, not a guarantee."
            )
        each, batch = by.loc["lock_each"], by.loc["lock_batch"]
        out.append(
            f"With {workers} processes, a lock around every increment took {fmt_seconds(each['median'])} s, "
            f"{each['median'] / nolock['median']:.1f}× the unlocked time; taking it once per batch took "
            f"{fmt_seconds(batch['median'])} s ({batch['median'] / nolock['median']:.2f}×), and both counts were exact."
        )
    return out
