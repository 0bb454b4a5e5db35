"""The cost model's table, figure and report section: predicted against measured on the held-out cells, the
parameters, and advice for example workloads (docs/model.md)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .. import model as M
from ..tables import fmt_ratio, fmt_seconds, fmt_span
from .common import bilingual, columns_table, for_figure, pick

#: The report's example workloads: (English, Chinese, advise's arguments).
EXAMPLES = [
    (
        "1,000 tasks of 20 ms with a 2 MiB argument each",
        "1000 个 20 毫秒的任务，每个带 2 MiB 参数",
        dict(task_s=0.02, tasks=1000, arg_bytes=2 * 2**20),
    ),
    ("1,000 tasks of 0.1 ms", "1000 个 0.1 毫秒的任务", dict(task_s=1e-4, tasks=1000)),
]
TERM_NAMES = bilingual(
    start=("Pool start", "进程池启动"),
    close=("close and join", "close/join"),
    map=("map latency", "map 固定延迟"),
    dispatch=("per-task dispatch", "逐任务分发"),
    bytes=("pickling the data", "数据序列化"),
    work=("the tasks' own work", "任务本身的计算"),
)
SOURCE_NAMES = bilingual(
    **{"appendix read": ("appendix read", "附录 读"), "appendix readwrite": ("appendix read & write", "附录 读&写")},
    crossover=("crossover", "crossover"),
    shared_memory=("shared_memory (pickling)", "shared_memory（序列化）"),
    custom=("custom (your function)", "custom（你自己的函数）"),
)
TEXT = {
    "en": {
        "title": "## The cost model: predicted against measured, and when processes pay off",
        "intro": "A model of one Pool run, fitted on this run's own measurements (`results/model.json`, "
        "`docs/model.md`): {formula}. It predicts every held-out Pool cell from what a user "
        "would know — the task's serial time, its bytes, the task count, the workers, the start method.",
        "errors": "On {count} held-out cells the median absolute error is **{median:.0%}** and the 90th percentile "
        "**{p90:.0%}** (target: median at most 15%){verdict}.",
        "met": ", within the target",
        "missed": ", **above the target**",
        "source": "{source}: {count} cells, median {median:.0%}, p90 {p90:.0%}.",
        "worst": "Worst: {source} {cell}, measured {measured} s, predicted {predicted} s ({error:+.0%}); "
        "{share:.0%} of the prediction is {term}.",
        "why_overhead": "Where the Pool's fixed costs dominate ({count} cells: start, close and map latency, a few ms), "
        "the prediction is a median {diff:+.1f} ms off: m0 is measured at {workers} workers (pool_api) and held for "
        "every worker count, and such a cell is as noisy as a Pool start on this machine.",
        "why_work": "Where the tasks' own work dominates, the error is the capacity measured at another task "
        "size and worker count than the cell's.",
        "why_bytes": "Where pickling the data dominates, the error is B, measured on one array size (the backends "
        "experiment's), applied to another size.",
        "skipped": "Not predicted — {source}: {why}.",
        "none": "No held-out cell could be predicted.",
        "advice": "**Advice** ({what}): {answer}",
        "answer": "predicted speedup {speedup}× ({low}–{high}×) with Pool({best}), Pool({enough}) already enough; "
        "{be}; shared memory {sm}{caution}.",
        "be": "tasks pay off from {ms} each (the break-even)",
        "be_never": "no task size pays off (the capacity there is not above 1)",
        "sm_yes": "pays off (pickling is {share:.0%} of the Pool time)",
        "sm_no": "not needed (pickling is {share:.0%} of the Pool time)",
        "caution": "; the model's error on similar held-out cells was {err:.0%}, so read this as rough",
        "cannot": "cannot be predicted: {why}",
        "command": "The same for any workload: `python -m mpbench advise --task-ms 20 --arg-mb 2 --tasks 1000`.",
    },
    "zh": {
        "title": "## The cost model (成本模型：预测与实测，以及多进程何时划算): predicted against measured, and when processes pay off",
        "intro": "一个进程池运行的模型，由本次运行自己的测量拟合（`results/model.json`，"
        "`docs/model.md`）：{formula}。它只用用户已知的信息——任务的串行耗时、数据字节数、"
        "任务数、进程数和启动方式——预测每个留出的进程池单元格。",
        "errors": "在 {count} 个留出单元格上，绝对误差的中位数为 **{median:.0%}**，第 90 百分位为 **{p90:.0%}**"
        "（目标：中位数不超过 15%）{verdict}。",
        "met": "，达到目标",
        "missed": "，**未达到目标**",
        "source": "{source}：{count} 个单元格，中位数 {median:.0%}，p90 {p90:.0%}。",
        "worst": "最差：{source} {cell}，实测 {measured} 秒，预测 {predicted} 秒（{error:+.0%}）；预测的 {share:.0%} 是{term}。",
        "why_overhead": "固定开销（启动、close/join、map 延迟，几毫秒）占主导的 {count} 个单元格，预测偏差的中位数为 "
        "{diff:+.1f} 毫秒：m0 在 {workers} 个进程下测得（pool_api）并用于所有进程数，而且这类单元格和本机的进程池启动一样嘈杂。",
        "why_work": "任务本身的计算占主导时，误差来自在另一任务规模和进程数下测得的并行能力。",
        "why_bytes": "数据序列化占主导时，误差来自只在一种数组大小（backends 实验）上测得的 B 被用于另一种大小。",
        "skipped": "未预测——{source}：{why}。",
        "none": "没有任何留出单元格可以预测。",
        "advice": "**建议**（{what}）：{answer}",
        "answer": "Pool({best}) 预测加速比 {speedup}×（{low}–{high}×），Pool({enough}) 已足够；"
        "{be}；共享内存{sm}{caution}。",
        "be": "每个任务达到 {ms} 才划算（盈亏平衡点）",
        "be_never": "任何任务规模都不划算（该进程数下的并行能力不超过 1）",
        "sm_yes": "划算（序列化占进程池时间的 {share:.0%}）",
        "sm_no": "不需要（序列化占进程池时间的 {share:.0%}）",
        "caution": "；模型在相似留出单元格上的误差为 {err:.0%}，结果仅供粗略参考",
        "cannot": "无法预测：{why}",
        "command": "任意工作负载都可以这样问：`python -m mpbench advise --task-ms 20 --arg-mb 2 --tasks 1000`。",
    },
}
FIGURE = {
    "en": {
        "title": "Cost model: predicted against measured Pool time (held-out cells)",
        "x": "measured Pool time (s)",
        "y": "predicted Pool time (s)",
        "band": "±15%",
        "diagonal": "predicted = measured",
        "none": "no held-out cell could be predicted",
    },
    "zh": {
        "title": "成本模型：进程池耗时的预测与实测（留出单元格）",
        "x": "实测进程池耗时（秒）",
        "y": "预测进程池耗时（秒）",
        "band": "±15%",
        "diagonal": "预测 = 实测",
        "none": "没有可预测的留出单元格",
    },
}
STYLES = [("#1f77b4", "o"), ("#ff7f0e", "s"), ("#2ca02c", "^"), ("#d62728", "D"), ("#9467bd", "v")]


def _pct(v) -> str:
    if v is None or not math.isfinite(v):
        return "n/a"
    return "0%" if round(v * 100) == 0 else f"{v:+.0%}"


def table(pred: pd.DataFrame, model: dict, language: str = "en") -> str:
    """The held-out cells (measured, predicted, interval, error, the largest term) and the parameters."""
    names, terms = pick(SOURCE_NAMES, language), pick(TERM_NAMES, language)
    done = pred.dropna(subset=["predicted"])
    cells = columns_table(
        [
            ("Source", "来源", lambda r: names.get(r.source, r.source)),
            ("Cell", "单元格", lambda r: r.cell),
            ("Measured (s)", "实测（秒）", lambda r: fmt_seconds(r.measured)),
            ("Predicted (s)", "预测（秒）", lambda r: fmt_seconds(r.predicted)),
            ("95% interval (s)", "95% 区间（秒）", lambda r: fmt_span(r.predicted_low, r.predicted_high, fmt_seconds)),
            ("Error", "误差", lambda r: _pct(r.error)),
            ("Largest term", "最大项", lambda r: f"{terms[r.dominant_term]} ({r.dominant_share:.0%})"),
        ],
        done.itertuples(),
        language,
    )

    def number(v) -> str:
        return "n/a" if v is None else f"{v:.4g}"

    params = columns_table(
        [
            ("Parameter", "参数", lambda kv: f"`{kv[0]}`"),
            ("Value", "值", lambda kv: number(kv[1]["value"])),
            ("95% interval", "95% 区间", lambda kv: f"{number(kv[1]['ci_low'])} – {number(kv[1]['ci_high'])}"),
            ("Unit", "单位", lambda kv: kv[1]["unit"]),
            ("Meaning", "含义", lambda kv: kv[1]["meaning"]),
            ("Fitted from", "拟合来源", lambda kv: kv[1]["source"]),
        ],
        model["parameters"].items(),
        language,
    )
    missing = [f"- `{t}`: {i['reason']}" for t, i in model["terms"].items() if i.get("status") != "fitted"]
    parts = [cells if len(done) else pick(TEXT, language)["none"], "", params]
    return "\n".join(parts + ([""] + missing if missing else [])) + "\n"


def plot(pred: pd.DataFrame, out_paths, language: str = "en") -> None:
    """Predicted against measured, log-log, the y = x line and a ±15% band, one marker per held-out source."""
    plots, language, t = for_figure(language, FIGURE)
    names = pick(SOURCE_NAMES, language)
    done = pred.dropna(subset=["predicted"])
    with plots.figure(out_paths, figsize=(6.8, 6.2)) as (fig, ax):
        if done.empty:
            ax.text(0.5, 0.5, t["none"], ha="center", va="center", transform=ax.transAxes)
            ax.set_axis_off()
            plots.finish(fig, t["title"])
            return
        values = done[["measured", "predicted", "predicted_low", "predicted_high"]].to_numpy(float)
        values = values[np.isfinite(values) & (values > 0)]
        lo, hi = values.min() / 1.6, values.max() * 1.6
        x = np.geomspace(lo, hi, 64)
        ax.fill_between(x, x * 0.85, x * 1.15, color="0.88", zorder=1, label=t["band"])
        ax.plot(x, x, color="0.35", linewidth=1, zorder=2, label=t["diagonal"])
        for (source, g), (colour, marker) in zip(done.groupby("source", sort=False), STYLES):
            below = (g["predicted"] - g["predicted_low"]).clip(lower=0).fillna(0)
            above = (g["predicted_high"] - g["predicted"]).clip(lower=0).fillna(0)
            ax.errorbar(
                g["measured"], g["predicted"], yerr=[below, above], fmt=marker, color=colour, markersize=6,
                elinewidth=1, capsize=2, zorder=3, label=f"{names.get(source, source)} ({len(g)})",
            )  # fmt: skip
        ax.set(xscale="log", yscale="log", xlim=(lo, hi), ylim=(lo, hi), xlabel=t["x"], ylabel=t["y"])
        ax.set_aspect("equal")
        ax.legend(loc="upper left", fontsize="small", frameon=False)
        plots.finish(fig, t["title"])


def _worst_lines(done: pd.DataFrame, model: dict, t: dict, names: dict, terms: dict, k: int = 3) -> list[str]:
    worst = done.sort_values("abs_error", ascending=False).head(k)
    lines = [
        t["worst"].format(
            source=names.get(r.source, r.source),
            cell=r.cell,
            measured=fmt_seconds(r.measured),
            predicted=fmt_seconds(r.predicted),
            error=r.error,
            share=r.dominant_share,
            term=terms[r.dominant_term],
        )
        for r in worst.itertuples()
    ]
    kinds = {r.dominant_term if r.dominant_term in ("work", "bytes") else "overhead" for r in worst.itertuples()}
    fixed = done[~done["dominant_term"].isin(["work", "bytes"])]
    facts = {
        "count": len(fixed),
        "diff": float((fixed["predicted"] - fixed["measured"]).median() * 1e3) if len(fixed) else math.nan,
        "workers": ", ".join(map(str, (model.get("notes") or {}).get("map_workers", []))) or "?",
    }
    return lines + [t[f"why_{kind}"].format(**facts) for kind in sorted(kinds)]


def _advice_line(model: dict, what: str, kwargs: dict, t: dict) -> str:
    advice = M.advise(model, **kwargs)
    if advice.get("missing"):
        return t["advice"].format(what=what, answer=t["cannot"].format(why="; ".join(advice["missing"])))
    best = next(r for r in advice["rows"] if r["workers"] == advice["best"])
    err, count, _ = advice["similar_error"]
    be = advice["break_even"]
    answer = t["answer"].format(
        speedup=fmt_ratio(best["speedup"]),
        low=fmt_ratio(best["speedup_low"]),
        high=fmt_ratio(best["speedup_high"]),
        best=advice["best"],
        enough=advice["enough"],
        be=t["be"].format(ms=f"{be * 1e3:.3g} ms") if math.isfinite(be) else t["be_never"],
        sm=t["sm_yes" if advice["shared_memory"] else "sm_no"].format(share=advice["bytes_share"]),
        caution=t["caution"].format(err=err) if count and err > M.LARGE_ERROR else "",
    )
    return t["advice"].format(what=what, answer=answer)


def section(model: dict, pred: pd.DataFrame, table_text: str, figure: str, language: str = "en") -> list[str]:
    """The report's section: the held-out errors, where they are worse and why, advice, the table and figure."""
    t, names, terms = pick(TEXT, language), pick(SOURCE_NAMES, language), pick(TERM_NAMES, language)
    held = model.get("held_out") or {}
    done = pred.dropna(subset=["predicted"])
    lines = [t["title"], "", t["intro"].format(formula=f"`{model['formula']}`"), ""]
    if done.empty:
        lines.append(f"- {t['none']}")
    else:
        verdict = t["met"] if held["median"] <= 0.15 else t["missed"]
        text = t["errors"].format(count=held["count"], median=held["median"], p90=held["p90"], verdict=verdict)
        lines.append(f"- {text}")
        for source, s in held["by_source"].items():
            lines.append(f"  - {t['source'].format(source=names.get(source, source), **s)}")
        lines += [f"- {line}" for line in _worst_lines(done, model, t, names, terms)]
    for source, why in held.get("skipped", {}).items():
        lines.append(f"- {t['skipped'].format(source=names.get(source, source), why=why)}")
    for en, zh, kwargs in EXAMPLES:
        lines.append(f"- {_advice_line(model, zh if language == 'zh' else en, kwargs, t)}")
    lines += [f"- {t['command']}", "", table_text.strip(), "", f"![{FIGURE['en']['title']}]({figure})", ""]
    return lines
