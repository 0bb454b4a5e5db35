"""close_join: summary, table, figure and findings (docs/experiments/close_join.md)."""

from __future__ import annotations

import pandas as pd

from ..experiments.close_join import APIS, BASELINE, CLEANUP_GRACE, VARIANTS
from ..stats import interval_vs_one
from ..tables import fmt_seconds, markdown_table
from .common import ordered, summarize_variants


def _tally(outcomes: pd.Series) -> str:
    counts = outcomes.astype(str).value_counts()
    if len(counts) == 1:
        return str(counts.index[0])
    return ", ".join(f"{name} ×{int(k)}" for name, k in counts.items())


def _count(flags: pd.Series) -> int:
    return int(flags.sum())


def summarize(raw: pd.DataFrame, level: float) -> pd.DataFrame:
    summary = summarize_variants(raw, ["api"], level, baseline=BASELINE)
    outcome = raw["outcome"].astype(str)
    raw = raw.assign(
        _ok=outcome == "ok",
        _incomplete=outcome == "incomplete",
        _error=outcome.str.startswith("error"),
        **{
            f"_{c}": raw[c].astype(str).str.lower() == "true"
            for c in ("results_complete", "pool_collected", "pool_cleanup_stuck")
        },
    )
    facts = (
        raw.groupby(["api", "variant"])
        .agg(
            outcome=("outcome", lambda s: str(s.astype(str).mode().iloc[0])),
            outcomes=("outcome", _tally),
            runs_ok=("_ok", _count),
            runs_incomplete=("_incomplete", _count),
            runs_error=("_error", _count),
            runs_complete=("_results_complete", _count),
            tasks=("expected_results", "first"),
            pool_size=("pool_size", "first"),
            **{
                f"{c}_{f}": (c, f)
                for c in ("results_delivered", "children_alive_after")
                for f in ("median", "min", "max")
            },
            children_exit_median=("children_exit_seconds", "median"),
            runs_lingering=("children_lingering", lambda s: _count(s > 0)),
            children_lingering_max=("children_lingering", "max"),
            runs_pool_collected=("_pool_collected", _count),
            runs_resource_warning=("resource_warnings", lambda s: _count(s > 0)),
            runs_cleanup_stuck=("_pool_cleanup_stuck", _count),
            **{c: (c, "first") for c in ("task_seconds", "get_timeout", "linger_seconds")},
        )
        .reset_index()
    )
    out = summary.merge(facts, on=["api", "variant"], validate="one_to_one")
    return _ordered(out)


LABELS = {
    "zh": {
        "close_join": "close() + join()（原文写法）",
        "no_close_join": "都不调用（函数返回时丢弃 Pool）",
        "no_close_join_kept": "都不调用（Pool 仍被引用）",
        "close_only": "只调用 close()",
        "join_only": "只调用 join()",
        "context_manager": "with Pool() as p（块内取结果）",
        "context_manager_late_get": "with Pool() as p（块外再 .get()）",
    },
    "en": {
        "close_join": "close() + join() (seed)",
        "no_close_join": "neither (Pool dropped at return)",
        "no_close_join_kept": "neither (Pool kept referenced)",
        "close_only": "close() only",
        "join_only": "join() only",
        "context_manager": "with Pool() as p, results inside",
        "context_manager_late_get": "with Pool() as p, .get() after it",
    },
}
HEADER = {
    "zh": [
        "接口",
        "写法",
        "结果",
        "结果完整（次 / 共）",
        "返回后仍存活的子进程（中位数 / 最多）",
        "耗时中位数（秒）",
        "子进程全部退出（秒，自开始）",
    ],
    "en": [
        "API",
        "Pattern",
        "Outcome",
        "Complete results (runs)",
        "Workers alive right after (median / max)",
        "Median time (s)",
        "All workers exited (s after start)",
    ],
}
LINGER = {
    "zh": "{linger:g} 秒后仍有 {alive} 个存活（{k}/{n} 次）",
    "en": "{alive} still alive {linger:g} s later ({k}/{n} runs)",
}


def _ordered(summary: pd.DataFrame) -> pd.DataFrame:
    return ordered(summary, ["api", "variant"], {"api": APIS, "variant": VARIANTS})


def _label(variant: str, api: str, language: str = "en") -> str:
    text = LABELS[language][variant]
    if variant == "context_manager_late_get" and api == "map":
        text += " [map_async]"
    return text


def _exit_cell(r, language: str) -> str:
    if r.runs_lingering > 0:
        return LINGER[language].format(
            linger=float(r.linger_seconds), alive=int(r.children_lingering_max), k=int(r.runs_lingering), n=int(r.n)
        )
    return fmt_seconds(r.children_exit_median)


def table(summary: pd.DataFrame, language: str = "zh") -> str:
    summary = _ordered(summary)
    rows = [
        [
            str(r.api),
            _label(str(r.variant), str(r.api), language),
            str(r.outcomes),
            f"{int(r.runs_complete)} / {int(r.n)}",
            f"{r.children_alive_after_median:g} / {int(r.children_alive_after_max)}",
            fmt_seconds(r.median),
            _exit_cell(r, language),
        ]
        for r in summary.itertuples()
    ]
    return markdown_table(HEADER[language], rows) + "\n"


def _long(data: pd.DataFrame, low: str, mid: str, high: str) -> pd.DataFrame:
    """Three rows per bar (low, median, high) so that seaborn's median and
    100% percentile interval reproduce the summary's median and its range."""
    return pd.concat([data.assign(value=data[c].astype(float)) for c in (low, mid, high)], ignore_index=True)


def plot(summary: pd.DataFrame, cores: int, out_paths) -> None:
    import matplotlib.pyplot as plt
    import seaborn as sns
    from matplotlib.lines import Line2D

    from .. import plots  # here: tables and findings need no plotting libraries

    labels = {**LABELS["en"]}
    labels["context_manager_late_get"] += "\n(map: map_async)"
    data = _ordered(summary)
    data = data.assign(pattern=data["variant"].astype(str).map(labels), api=data["api"].astype(str))
    order = [labels[v] for v in VARIANTS if v in set(data["variant"].astype(str))]
    apis = [a for a in APIS if a in set(data["api"])]
    palette = dict(zip(APIS, sns.color_palette("colorblind", 2)))
    delivered = data.assign(
        **{
            name: data[f"results_delivered_{k}"] / data["tasks"] * 100
            for name, k in (("share_low", "min"), ("share", "median"), ("share_high", "max"))
        }
    )
    pool_sizes = sorted(int(s) for s in data["pool_size"].unique())

    def values(column: str, kind=int, fmt=str) -> str:
        return "/".join(fmt(v) for v in sorted(kind(v) for v in data[column].unique()))

    common = dict(
        y="pattern",
        x="value",
        hue="api",
        order=order,
        hue_order=apis,
        palette=palette,
        estimator="median",
        errorbar=("pi", 100),
        err_kws={"color": "0.2", "linewidth": 1.1},
        capsize=0.25,
        orient="h",
        legend=False,
    )
    width = 0.8 / len(apis)

    def y_of(r) -> float:
        return order.index(r.pattern) - 0.4 + width * (apis.index(r.api) + 0.5)

    with plots.style():
        fig, axes = plt.subplots(
            1, 3, figsize=(14.5, 0.32 * len(order) * len(apis) + 2.4), sharey=True, layout="constrained"
        )
        left, middle, right = axes
        sns.barplot(data=_long(data, "ci_low", "median", "ci_high"), ax=left, **common)
        left.set_xlabel("time of poolDemo(), Pool start-up included (s)")
        left.set_title("time (median; whiskers: interval of the median)")
        left.set_xlim(0, float(data["ci_high"].max()) * 1.45)
        for r in data.itertuples():
            if str(r.variant) == "context_manager_late_get":
                left.text(
                    float(r.ci_high) * 1.02,
                    y_of(r),
                    f"incl. {float(r.get_timeout):g} s .get() timeout",
                    va="center",
                    fontsize="x-small",
                    color="0.15",
                )
        sns.barplot(
            data=_long(data, "children_alive_after_min", "children_alive_after_median", "children_alive_after_max"),
            ax=middle,
            **common,
        )
        for size in pool_sizes:
            middle.axvline(size, color="0.3", linestyle="--", linewidth=1.2, zorder=0)
        for r in data.itertuples():
            middle.text(
                float(r.children_alive_after_max) + 0.04 * max(pool_sizes),
                y_of(r),
                f"{r.children_alive_after_median:g}",
                va="center",
                fontsize="x-small",
                color="0.15",
            )
        middle.set_xlim(0, max(pool_sizes) * 1.2)
        middle.set_xlabel("worker processes alive right after return (count)")
        middle.set_title("workers still alive (median; whiskers: min–max)")
        sns.barplot(data=_long(delivered, "share_low", "share", "share_high"), ax=right, **common)
        right.axvline(100, color="0.3", linestyle="--", linewidth=1.2, zorder=0)
        right.set_xlim(0, 145)
        right.set_xlabel("results the function returned (% of tasks)")
        right.set_title("results delivered (median; whiskers: min–max)")
        for r in delivered.itertuples():  # name what went wrong next to its bar
            if str(r.outcome) == "ok":
                continue
            if str(r.outcome).startswith("error"):
                text = f"{_error_type(str(r.outcome))}: nothing returned"
            else:
                text = f"incomplete: {r.results_delivered_median:g} of {int(r.tasks)}"
            right.text(float(r.share_high) + 2, y_of(r), text, va="center", fontsize="x-small", color="0.15")
        for ax in axes:
            ax.set_ylabel("")
        handles = [Line2D([], [], color=palette[a], marker="s", linestyle="", markersize=9, label=a) for a in apis]
        handles.append(Line2D([], [], color="0.3", linestyle="--", label="Pool size (middle) / all tasks (right)"))
        fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), frameon=False)
        fig.suptitle(
            f"Are close() and join() optional? poolDemo() with Pool(processes={values('pool_size')}), "
            f"{values('tasks')} tasks of {values('task_seconds', float, '{:g}'.format)} s each, "
            f"{values('n')} runs per bar, on {cores} cores",
            fontsize="medium",
        )
        plots.save(fig, out_paths)


def _runs(k, n) -> str:
    k, n = int(k), int(n)
    return f"all {n} runs" if k == n else f"{k} of {n} runs"


WAITS = {"map": "map() itself waits for every result", "apply_async": "each .get() waits for its result"}
TIME_GROUPS = {
    "above": "faster: ",
    "below": "slower: ",
    "includes": "not distinguishable from it (the paired interval includes 1×): ",
}


def _error_type(outcomes) -> str:
    return str(outcomes).split(",")[0].replace("error: ", "").split(" ×")[0]


def _dropped(api: str, r) -> str:
    text = (
        f"Without close() and join() (the Pool dropped when poolDemo() returns), {api} returned complete, "
        f"correct results in {_runs(r.runs_complete, r.n)}"
        + (f" - {WAITS[api]}" if r.runs_complete == r.n else "")
        + f". Right after the return {r.children_alive_after_median:g} of {int(r.pool_size)} workers were alive "
        "(median)"
    )
    if r.runs_lingering == 0:
        text += f" and all had exited {fmt_seconds(r.children_exit_median)} s after the start"
    else:
        text += (
            f"; in {_runs(r.runs_lingering, r.n)} up to {int(r.children_lingering_max)} were still alive "
            f"{float(r.linger_seconds):g} s after the return"
        )
    if r.runs_pool_collected > 0:
        text += (
            f"; the Pool object had already been garbage-collected at the return in "
            f"{_runs(r.runs_pool_collected, r.n)}, and collecting a Pool terminates its workers"
        )
    return text + "."


def _kept(api: str, r) -> str:
    if r.runs_lingering > 0:
        return (
            f"{int(r.children_lingering_max)} of {int(r.pool_size)} {api} workers were still alive "
            f"{float(r.linger_seconds):g} s after the return in {_runs(r.runs_lingering, r.n)}"
        )
    return (
        f"the {api} workers had all exited {fmt_seconds(r.children_exit_median)} s after the start in {_runs(r.n, r.n)}"
    )


def _join_only(api: str, r) -> str:
    if r.runs_error > 0:
        return (
            f"for {api} it raised {_error_type(r.outcomes)} in {_runs(r.runs_error, r.n)}, with "
            f"{r.children_alive_after_median:g} of {int(r.pool_size)} workers still alive right after (median)"
        )
    return f"for {api} it raised nothing in {_runs(r.n, r.n)}"


def _close_only(api: str, r) -> str:
    text = (
        f"for {api} the results were complete in {_runs(r.runs_complete, r.n)} and "
        f"{r.children_alive_after_median:g} of {int(r.pool_size)} workers were alive right after the return "
        "(median)"
    )
    if r.runs_lingering == 0:
        return text + f", all gone {fmt_seconds(r.children_exit_median)} s after the start"
    return text + f", some still alive {float(r.linger_seconds):g} s later in {_runs(r.runs_lingering, r.n)}"


def _inside(api: str, r) -> str:
    return (
        f"for {api} the results were complete in {_runs(r.runs_complete, r.n)} and "
        f"{r.children_alive_after_max:g} workers were alive after the block (at most)"
    )


def _late(api: str, r) -> str:
    return (
        f"for {'map_async' if api == 'map' else 'apply_async'}, {r.results_delivered_median:g} of {int(r.tasks)} "
        f"results arrived (median; outcome {r.outcomes} in "
        f"{_runs(max(r.runs_ok, r.runs_incomplete, r.runs_error), r.n)}) and {r.children_alive_after_max:g} "
        "workers were alive"
    )


def _times(api: str, by: dict) -> str:
    """The patterns with complete results against the seed's, by their paired interval."""
    groups: dict[str, list[str]] = {where: [] for where in TIME_GROUPS}
    for variant in VARIANTS:
        r = by.get((api, variant))
        if variant == BASELINE or r is None or r.runs_ok < r.n:
            continue
        where = interval_vs_one(float(r.speedup_ci_low), float(r.speedup_ci_high))
        name = f"'{LABELS['en'][variant]}'"
        groups[where].append(name if where == "includes" else f"{name} {fmt_seconds(r.median)} s")
    text = (
        f"Time for {api}: the seed's close() + join() took {fmt_seconds(by[(api, BASELINE)].median)} s "
        "(median, Pool start-up included)"
    )
    text += "".join(f"; {TIME_GROUPS[where]}" + ", ".join(names) for where, names in groups.items() if names)
    return text + (" (patterns with complete results only)." if any(groups.values()) else ".")


def findings(summary: pd.DataFrame, env: dict) -> list[str]:
    data = _ordered(summary)
    by = {(str(r.api), str(r.variant)): r for r in data.itertuples()}
    apis = [a for a in APIS if any(k[0] == a for k in by)]

    def rows(variant):
        return [(api, by[(api, variant)]) for api in apis if (api, variant) in by]

    def sentence(head: str, variant: str, clause, tail: str = ".") -> list[str]:
        parts = [clause(api, r) for api, r in rows(variant)]
        return [head + "; ".join(parts) + tail] if parts else []

    out = [_dropped(api, r) for api, r in rows("no_close_join")]
    stuck = [r for r in data.itertuples() if r.runs_cleanup_stuck > 0]
    if stuck:
        out.append(
            "In "
            + ", ".join(
                f"{int(r.runs_cleanup_stuck)} of {int(r.n)} runs of {r.api} '{LABELS['en'][str(r.variant)]}'"
                for r in stuck
            )
            + " the Pool's own clean-up, run by the garbage collector in one of the Pool's threads, had not "
            f"finished {CLEANUP_GRACE:g} s after the run and its workers stayed alive until the harness "
            "sent them stop messages: leaving the end of a Pool to garbage collection can leave its "
            "processes behind."
        )
    warned = [(api, r) for api, r in rows("no_close_join") if r.runs_resource_warning > 0]
    if warned:
        out.append(
            "Dropping the running Pool made Python emit 'ResourceWarning: unclosed running multiprocessing "
            "pool' in "
            + " and ".join(f"{_runs(r.runs_resource_warning, r.n)} for {api}" for api, r in warned)
            + " (hidden by Python's default warning filters; shown with -W default or -X dev)."
        )
    out += sentence(
        "Without close() and join() but with the Pool still referenced after the return (like a "
        "module-level p = Pool()): ",
        "no_close_join_kept",
        _kept,
    )
    joins = rows("join_only")
    out += sentence(
        "join() without close(): ",
        "join_only",
        _join_only,
        ", so the function returned no results." if all(r.runs_complete == 0 for _, r in joins) else ".",
    )
    cj = rows("close_join")
    seed = " and ".join(f"{r.children_alive_after_max:g} ({api})" for api, r in cj)
    out += sentence(
        "close() without join(): ",
        "close_only",
        _close_only,
        f". With close() + join(), at most {seed} workers were alive at the return." if seed else ".",
    )
    out += sentence("With Pool(...) as p and the results gathered inside the block: ", "context_manager", _inside)
    late = rows("context_manager_late_get")
    if late:
        out += sentence(
            "Calling .get() only after leaving the with-block (its __exit__ calls terminate()), with a "
            f"{float(late[0][1].get_timeout):g} s timeout: ",
            "context_manager_late_get",
            _late,
        )
    out += [_times(api, by) for api in apis if (api, BASELINE) in by]

    # The answer to the seed's question, from the rows above.
    drop = rows("no_close_join")
    if drop:
        optional = all(r.runs_complete == r.n for _, r in drop)
        answer = "Answer on this machine: close() and join() were " + (
            "not needed for the results, which were complete without them"
            if optional
            else "needed for complete results in at least one case"
        )
        what = []
        if cj and all(r.children_alive_after_max == 0 for _, r in cj):
            what.append("with both, no worker was alive when poolDemo() returned")
        collected = sum(int(r.runs_pool_collected) for _, r in drop)
        if collected:
            what.append(
                "without them that was left to the garbage collection of the dropped Pool "
                f"(which came at the return in {collected} of {sum(int(r.n) for _, r in drop)} runs here)"
            )
        if any(r.runs_lingering > 0 for _, r in rows("no_close_join_kept")):
            what.append("a Pool that stayed referenced without them kept its workers running")
        if joins and all(r.runs_error == r.n for _, r in joins):
            what.append(
                f"join() alone raised {_error_type(joins[0][1].outcomes)} every time, so it needs close() first"
            )
        if any(r.runs_ok < r.n for _, r in late):
            what.append("a with-block terminates the workers, so results must be fetched inside it")
        if what:
            answer += ". They decide when the worker processes end: " + "; ".join(what)
        out.append(answer + ".")
    return out
