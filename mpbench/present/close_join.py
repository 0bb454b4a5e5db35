"""close_join: summary, table, figure and findings (docs/experiments/close_join.md)."""

from __future__ import annotations

from functools import partial

import pandas as pd

from ..experiments.close_join import APIS, BASELINE, CLEANUP_GRACE, VARIANTS
from ..tables import fmt_seconds
from .common import COLUMN, bilingual, columns_table, flag, for_figure, ordered, speedup_vs_one, summarize_with

_ordered = partial(ordered, by=["api", "variant"], orders={"api": APIS, "variant": VARIANTS})


def _tally(outcomes: pd.Series) -> str:
    counts = outcomes.astype(str).value_counts()
    if len(counts) == 1:
        return str(counts.index[0])
    return ", ".join(f"{name} ×{int(k)}" for name, k in counts.items())


def _count(test):
    """An aggregation: how many of a point's runs pass ``test``."""
    return lambda s: int(test(s).sum())


def summarize(raw: pd.DataFrame, level: float) -> pd.DataFrame:
    summary = summarize_with(
        raw,
        ["api"],
        level,
        baseline=BASELINE,
        outcome=("outcome", lambda s: str(s.astype(str).mode().iloc[0])),
        outcomes=("outcome", _tally),
        runs_ok=("outcome", _count(lambda s: s.astype(str) == "ok")),
        runs_incomplete=("outcome", _count(lambda s: s.astype(str) == "incomplete")),
        runs_error=("outcome", _count(lambda s: s.astype(str).str.startswith("error"))),
        runs_complete=("results_complete", _count(lambda s: s.map(flag))),
        tasks=("expected_results", "first"),
        pool_size=("pool_size", "first"),
        **{f"{c}_{f}": (c, f) for c in ("results_delivered", "children_alive_after") for f in ("median", "min", "max")},
        children_exit_median=("children_exit_seconds", "median"),
        runs_lingering=("children_lingering", _count(lambda s: s > 0)),
        children_lingering_max=("children_lingering", "max"),
        runs_pool_collected=("pool_collected", _count(lambda s: s.map(flag))),
        runs_resource_warning=("resource_warnings", _count(lambda s: s > 0)),
        runs_cleanup_stuck=("pool_cleanup_stuck", _count(lambda s: s.map(flag))),
        **{c: (c, "first") for c in ("task_seconds", "get_timeout", "linger_seconds")},
    )
    return _ordered(summary)


LABELS = bilingual(
    close_join=("close() + join() (seed)", "close() + join()（原文写法）"),
    no_close_join=("neither (Pool dropped at return)", "都不调用（函数返回时丢弃 Pool）"),
    no_close_join_kept=("neither (Pool kept referenced)", "都不调用（Pool 仍被引用）"),
    close_only=("close() only", "只调用 close()"),
    join_only=("join() only", "只调用 join()"),
    context_manager=("with Pool() as p, results inside", "with Pool() as p（块内取结果）"),
    context_manager_late_get=("with Pool() as p, .get() after it", "with Pool() as p（块外再 .get()）"),
)


def _label(variant: str, api: str, language: str = "en") -> str:
    text = LABELS[language][variant]
    if variant == "context_manager_late_get" and api == "map":
        text += " [map_async]"
    return text


def _exit_cell(r, language: str) -> str:
    if r.runs_lingering > 0:
        return TEXT[language]["still_alive"].format(
            linger=float(r.linger_seconds), alive=int(r.children_lingering_max), k=int(r.runs_lingering), n=int(r.n)
        )
    return fmt_seconds(r.children_exit_median)


def table(summary: pd.DataFrame, language: str = "zh") -> str:
    columns = [
        ("API", "接口", lambda r: str(r.api)),
        ("Pattern", "写法", lambda r: _label(str(r.variant), str(r.api), language)),
        ("Outcome", "结果", lambda r: str(r.outcomes)),
        ("Complete results (runs)", "结果完整（次 / 共）", lambda r: f"{int(r.runs_complete)} / {int(r.n)}"),
        (
            "Workers alive right after (median / max)",
            "返回后仍存活的子进程（中位数 / 最多）",
            lambda r: f"{r.children_alive_after_median:g} / {int(r.children_alive_after_max)}",
        ),
        COLUMN["median"],
        ("All workers exited (s after start)", "子进程全部退出（秒，自开始）", lambda r: _exit_cell(r, language)),
    ]
    return columns_table(columns, _ordered(summary).itertuples(), language) + "\n"


def _long(data: pd.DataFrame, low: str, mid: str, high: str) -> pd.DataFrame:
    """Three rows per bar (low, median, high) so that seaborn's median and
    100% percentile interval reproduce the summary's median and its range."""
    return pd.concat([data.assign(value=data[c].astype(float)) for c in (low, mid, high)], ignore_index=True)


#: A horizontal bar per row of the summary: seaborn's median and 100% percentile interval of _long's three rows.
RANGE_BARS = {"estimator": "median", "errorbar": ("pi", 100), "orient": "h", "legend": False}
RANGE_BARS |= {"err_kws": {"color": "0.2", "linewidth": 1.1}, "capsize": 0.25}  # the whiskers


FIGURE = bilingual(
    late_label=("\n(map: map_async)", "\n（map：map_async）"),
    time_x=("time of poolDemo(), Pool start-up included (s)", "poolDemo() 的耗时，含进程池启动（秒）"),
    time_title=("time (median; whiskers: interval of the median)", "耗时（中位数；须线：中位数的区间）"),
    timeout=("incl. {s:g} s .get() timeout", "含 {s:g} 秒 .get() 超时"),
    alive_x=("worker processes alive right after return (count)", "返回后立即存活的工作进程数"),
    alive_title=("workers still alive (median; whiskers: min–max)", "仍存活的工作进程（中位数；须线：最小–最大）"),
    share_x=("results the function returned (% of tasks)", "函数返回的结果（占任务数的 %）"),
    share_title=("results delivered (median; whiskers: min–max)", "取回的结果（中位数；须线：最小–最大）"),
    nothing=("{error}: nothing returned", "{error}：没有返回结果"),
    incomplete=("incomplete: {got:g} of {tasks}", "不完整：{tasks} 个中只有 {got:g} 个"),
    sizes=("Pool size (middle) / all tasks (right)", "进程池大小（中）/ 全部任务（右）"),
    title=(
        "Are close() and join() optional? poolDemo() with Pool(processes={sizes}), {tasks} tasks of {seconds} s each, {runs} runs per bar, on {cores} cores",
        "close() 和 join() 可有可无？poolDemo() 使用 Pool(processes={sizes})，{tasks} 个任务、每个 {seconds} 秒，每根柱 {runs} 次运行，{cores} 个核",
    ),
)
TEXT = {  # the table's words, then the findings'
    "en": {
        "still_alive": "{alive} still alive {linger:g} s later ({k}/{n} runs)",
        "all_runs": "all {n} runs",
        "some_runs": "{k} of {n} runs",
        "waits": {
            "map": " - map() itself waits for every result",
            "apply_async": " - each .get() waits for its result",
        },
        "dropped": "Without close() and join() (the Pool dropped when poolDemo() returns), {api} returned complete, correct results in {complete}{waits}. Right after the return {alive:g} of {size} workers were alive (median)",
        "exited": " and all had exited {s} s after the start",
        "lingering": "; in {lingering} up to {k} were still alive {linger:g} s after the return",
        "collected": "; the Pool object had already been garbage-collected at the return in {collected}, and collecting a Pool terminates its workers",
        "end": ".",
        "kept_linger": "{k} of {size} {api} workers were still alive {linger:g} s after the return in {lingering}",
        "kept_exit": "the {api} workers had all exited {s} s after the start in {all}",
        "join_error": "for {api} it raised {error} in {errors}, with {alive:g} of {size} workers still alive right after (median)",
        "join_ok": "for {api} it raised nothing in {all}",
        "close": "for {api} the results were complete in {complete} and {alive:g} of {size} workers were alive right after the return (median)",
        "close_gone": ", all gone {s} s after the start",
        "close_linger": ", some still alive {linger:g} s later in {lingering}",
        "inside": "for {api} the results were complete in {complete} and {alive_max:g} workers were alive after the block (at most)",
        "late": "for {async_api}, {got:g} of {tasks} results arrived (median; outcome {outcomes} in {most}) and {alive_max:g} workers were alive",
        "groups": {
            "above": "faster: ",
            "below": "slower: ",
            "includes": "not distinguishable from it (the paired interval includes 1×): ",
        },
        "quote": "'{label}'",
        "named": "{name} {s} s",
        "times": "Time for {api}: the seed's close() + join() took {s} s (median, Pool start-up included)",
        "complete_only": " (patterns with complete results only).",
        "stuck_run": "{k} of {n} runs of {api} '{label}'",
        "stuck": "In {runs} the Pool's own clean-up, run by the garbage collector in one of the Pool's threads, had not finished {grace:g} s after the run and its workers stayed alive until the harness sent them stop messages: leaving the end of a Pool to garbage collection can leave its processes behind.",
        "warned_run": "{warned} for {api}",
        "warned": "Dropping the running Pool made Python emit 'ResourceWarning: unclosed running multiprocessing pool' in {runs} (hidden by Python's default warning filters; shown with -W default or -X dev).",
        "kept": "Without close() and join() but with the Pool still referenced after the return (like a module-level p = Pool()): ",
        "join_only": "join() without close(): ",
        "no_results": ", so the function returned no results.",
        "close_only": "close() without join(): ",
        "seed_alive": "{alive:g} ({api})",
        "with_both": ". With close() + join(), at most {seed} workers were alive at the return.",
        "context": "With Pool(...) as p and the results gathered inside the block: ",
        "late_head": "Calling .get() only after leaving the with-block (its __exit__ calls terminate()), with a {timeout:g} s timeout: ",
        "answer": "Answer on this machine: close() and join() were ",
        "optional": "not needed for the results, which were complete without them",
        "needed": "needed for complete results in at least one case",
        "none_alive": "with both, no worker was alive when poolDemo() returned",
        "gc": "without them that was left to the garbage collection of the dropped Pool (which came at the return in {k} of {n} runs here)",
        "kept_running": "a Pool that stayed referenced without them kept its workers running",
        "join_raised": "join() alone raised {error} every time, so it needs close() first",
        "with_block": "a with-block terminates the workers, so results must be fetched inside it",
        "decide": ". They decide when the worker processes end: ",
        "sep": "; ",
        "and": " and ",
        "comma": ", ",
    },
    "zh": {
        "still_alive": "{linger:g} 秒后仍有 {alive} 个存活（{k}/{n} 次）",
        "all_runs": "全部 {n} 次运行中",
        "some_runs": "{n} 次运行中的 {k} 次",
        "waits": {"map": "——map() 本身会等待所有结果", "apply_async": "——每个 .get() 都会等待各自的结果"},
        "dropped": "不调用 close() 和 join()（poolDemo() 返回时丢弃 Pool）时，{api} 在{complete}返回了完整且正确的结果{waits}。刚返回时，{size} 个工作进程中有 {alive:g} 个仍存活（中位数）",
        "exited": "，开始后 {s} 秒全部退出",
        "lingering": "；在{lingering}，返回 {linger:g} 秒后仍有多达 {k} 个存活",
        "collected": "；在{collected}，Pool 对象在返回时已被垃圾回收，而回收 Pool 会终止它的工作进程",
        "end": "。",
        "kept_linger": "在{lingering}，返回 {linger:g} 秒后 {api} 的 {size} 个工作进程中仍有 {k} 个存活",
        "kept_exit": "在{all}，{api} 的工作进程在开始后 {s} 秒全部退出",
        "join_error": "{api} 在{errors}抛出 {error}，刚返回时 {size} 个工作进程中仍有 {alive:g} 个存活（中位数）",
        "join_ok": "{api} 在{all}都没有抛出异常",
        "close": "{api} 在{complete}结果完整，刚返回时 {size} 个工作进程中有 {alive:g} 个存活（中位数）",
        "close_gone": "，开始后 {s} 秒全部退出",
        "close_linger": "，在{lingering}，{linger:g} 秒后仍有进程存活",
        "inside": "{api} 在{complete}结果完整，离开 with 块后最多有 {alive_max:g} 个工作进程存活",
        "late": "{async_api} 取回了 {tasks} 个结果中的 {got:g} 个（中位数；在{most}结果为 {outcomes}），有 {alive_max:g} 个工作进程存活",
        "groups": {"above": "更快：", "below": "更慢：", "includes": "与之无法区分（配对区间包含 1×）："},
        "quote": "“{label}”",
        "named": "{name} {s} 秒",
        "times": "{api} 的耗时：原文的 close() + join() 用了 {s} 秒（中位数，含进程池启动）",
        "complete_only": "（只比较结果完整的写法）。",
        "stuck_run": "{api}“{label}”的 {n} 次运行中的 {k} 次",
        "stuck": "在{runs}，由垃圾回收器在 Pool 的某个线程中执行的 Pool 自身清理，在运行结束 {grace:g} 秒后仍未完成，工作进程一直存活，直到测试框架向它们发送停止消息：把 Pool 的结束交给垃圾回收，可能会留下残余进程。",
        "warned_run": "{api} 的{warned}",
        "warned": "丢弃仍在运行的 Pool 时，Python 在{runs}发出了 'ResourceWarning: unclosed running multiprocessing pool'（Python 默认的警告过滤器会隐藏它；用 -W default 或 -X dev 可以看到）。",
        "kept": "不调用 close() 和 join()，但返回后 Pool 仍被引用（如模块级的 p = Pool()）：",
        "join_only": "只调用 join() 而不调用 close()：",
        "no_results": "，所以函数没有返回结果。",
        "close_only": "只调用 close() 而不调用 join()：",
        "seed_alive": "{alive:g} 个（{api}）",
        "with_both": "。调用 close() + join() 时，返回时最多有 {seed}工作进程存活。",
        "context": "使用 with Pool(...) as p 并在块内取回结果：",
        "late_head": "离开 with 块之后才调用 .get()（其 __exit__ 会调用 terminate()），超时 {timeout:g} 秒：",
        "answer": "本机的答案：close() 和 join() ",
        "optional": "对结果来说并非必需，不调用它们结果也是完整的",
        "needed": "至少在一种情况下是得到完整结果所必需的",
        "none_alive": "两者都调用时，poolDemo() 返回时没有工作进程存活",
        "gc": "不调用时，这要交给被丢弃的 Pool 的垃圾回收（这里 {n} 次运行中有 {k} 次在返回时就发生了）",
        "kept_running": "不调用它们而 Pool 仍被引用时，工作进程会一直运行",
        "join_raised": "只调用 join() 每次都抛出 {error}，所以必须先调用 close()",
        "with_block": "with 块会终止工作进程，所以必须在块内取回结果",
        "decide": "。它们决定工作进程何时结束：",
        "sep": "；",
        "and": "和",
        "comma": "、",
    },
}


def plot(summary: pd.DataFrame, cores: int, out_paths, language: str = "en") -> None:
    import seaborn as sns

    plots, language, t = for_figure(language, FIGURE)
    labels = {**LABELS[language]}
    labels["context_manager_late_get"] += t["late_label"]
    data = _ordered(summary)
    data = data.assign(pattern=data["variant"].astype(str).map(labels), api=data["api"].astype(str))
    order = [labels[v] for v in VARIANTS if v in set(data["variant"].astype(str))]
    apis = [a for a in APIS if a in set(data["api"])]
    palette = dict(zip(APIS, sns.color_palette("colorblind", 2)))
    shares = {"share_low": "min", "share": "median", "share_high": "max"}  # of the tasks' results, in %
    delivered = data.assign(
        **{name: data[f"results_delivered_{k}"] / data["tasks"] * 100 for name, k in shares.items()}
    )
    pool_sizes = sorted(int(s) for s in data["pool_size"].unique())

    def values(column: str, kind=int, fmt=str) -> str:
        return "/".join(fmt(v) for v in sorted(kind(v) for v in data[column].unique()))

    common = dict(y="pattern", x="value", hue="api", order=order, hue_order=apis, palette=palette, **RANGE_BARS)
    width = 0.8 / len(apis)
    note = {"va": "center", "fontsize": "x-small", "color": "0.15"}  # a few words beside a bar

    def y_of(r) -> float:
        return order.index(r.pattern) - 0.4 + width * (apis.index(r.api) + 0.5)

    size = (14.5, 0.32 * len(order) * len(apis) + 2.4)
    with plots.figure(out_paths, 1, 3, figsize=size, sharey=True) as (fig, (left, middle, right)):
        sns.barplot(data=_long(data, "ci_low", "median", "ci_high"), ax=left, **common)
        left.set(xlabel=t["time_x"], title=t["time_title"], xlim=(0, float(data["ci_high"].max()) * 1.45))
        for r in data.itertuples():
            if str(r.variant) == "context_manager_late_get":
                left.text(float(r.ci_high) * 1.02, y_of(r), t["timeout"].format(s=float(r.get_timeout)), **note)
        alive = ("children_alive_after_min", "children_alive_after_median", "children_alive_after_max")
        sns.barplot(data=_long(data, *alive), ax=middle, **common)
        for pool_size in pool_sizes:
            middle.axvline(pool_size, color="0.3", linestyle="--", linewidth=1.2, zorder=0)
        for r in data.itertuples():
            x = float(r.children_alive_after_max) + 0.04 * max(pool_sizes)
            middle.text(x, y_of(r), f"{r.children_alive_after_median:g}", **note)
        middle.set(xlim=(0, max(pool_sizes) * 1.2), xlabel=t["alive_x"], title=t["alive_title"])
        sns.barplot(data=_long(delivered, *shares), ax=right, **common)
        right.axvline(100, color="0.3", linestyle="--", linewidth=1.2, zorder=0)
        right.set(xlim=(0, 145), xlabel=t["share_x"], title=t["share_title"])
        for r in delivered.itertuples():  # name what went wrong next to its bar
            if str(r.outcome) == "ok":
                continue
            if str(r.outcome).startswith("error"):
                text = t["nothing"].format(error=_error_type(str(r.outcome)))
            else:
                text = t["incomplete"].format(got=r.results_delivered_median, tasks=int(r.tasks))
            right.text(float(r.share_high) + 2, y_of(r), text, **note)
        for ax in (left, middle, right):
            ax.set_ylabel("")
        handles = [plots.line(a, color=palette[a], marker="s", linestyle="", markersize=9) for a in apis]
        handles.append(plots.line(t["sizes"], color="0.3", linestyle="--"))
        counts = {name: values(column) for name, column in (("sizes", "pool_size"), ("tasks", "tasks"), ("runs", "n"))}
        title = t["title"].format(seconds=values("task_seconds", float, "{:g}".format), cores=cores, **counts)
        plots.finish(fig, title, handles, ncol=len(handles))


def _error_type(outcomes) -> str:
    return str(outcomes).split(",")[0].replace("error: ", "").split(" ×")[0]


def _fields(api: str, r, t) -> dict:
    """What the sentences about one API's runs of a pattern say, by the names their templates use."""

    def runs(k) -> str:
        k, n = int(k), int(r.n)
        return t["all_runs"].format(n=n) if k == n else t["some_runs"].format(k=k, n=n)

    return {
        "api": api,
        "async_api": "map_async" if api == "map" else "apply_async",
        "size": int(r.pool_size),
        "alive": r.children_alive_after_median,
        "alive_max": r.children_alive_after_max,
        "s": fmt_seconds(r.children_exit_median),
        "k": int(r.children_lingering_max),
        "linger": float(r.linger_seconds),
        "error": _error_type(r.outcomes),
        "got": r.results_delivered_median,
        "tasks": int(r.tasks),
        "outcomes": r.outcomes,
        "waits": t["waits"][api] if r.runs_complete == r.n else "",
        "all": runs(r.n),
        "complete": runs(r.runs_complete),
        "lingering": runs(r.runs_lingering),
        "errors": runs(r.runs_error),
        "collected": runs(r.runs_pool_collected),
        "warned": runs(r.runs_resource_warning),
        "most": runs(max(r.runs_ok, r.runs_incomplete, r.runs_error)),
    }


def _clause(variant: str, api: str, r, t) -> str:
    """What one API's runs of ``variant`` did, in words (for no_close_join a sentence of its own)."""
    if variant == "no_close_join":
        collected = t["collected"] if r.runs_pool_collected > 0 else ""
        template = t["dropped"] + t["exited" if r.runs_lingering == 0 else "lingering"] + collected + t["end"]
    elif variant == "no_close_join_kept":
        template = t["kept_linger" if r.runs_lingering > 0 else "kept_exit"]
    elif variant == "join_only":
        template = t["join_error" if r.runs_error > 0 else "join_ok"]
    elif variant == "close_only":
        template = t["close"] + t["close_gone" if r.runs_lingering == 0 else "close_linger"]
    else:
        template = t["inside" if variant == "context_manager" else "late"]
    return template.format(**_fields(api, r, t))


def _times(api: str, by: dict, t, language: str) -> str:
    """The patterns with complete results against the seed's, by their paired interval."""
    groups: dict[str, list[str]] = {where: [] for where in t["groups"]}
    for variant in VARIANTS:
        r = by.get((api, variant))
        if variant == BASELINE or r is None or r.runs_ok < r.n:
            continue
        where = speedup_vs_one(r)
        name = t["quote"].format(label=LABELS[language][variant])
        groups[where].append(name if where == "includes" else t["named"].format(name=name, s=fmt_seconds(r.median)))
    text = t["times"].format(api=api, s=fmt_seconds(by[(api, BASELINE)].median))
    text += "".join(t["sep"] + t["groups"][where] + t["comma"].join(names) for where, names in groups.items() if names)
    return text + (t["complete_only"] if any(groups.values()) else t["end"])


def findings(summary: pd.DataFrame, env: dict, language: str = "en") -> list[str]:
    t = TEXT[language]
    data = _ordered(summary)
    by = {(str(r.api), str(r.variant)): r for r in data.itertuples()}
    apis = [a for a in APIS if any(k[0] == a for k in by)]

    def rows(variant):
        return [(api, by[(api, variant)]) for api in apis if (api, variant) in by]

    def sentence(head: str, variant: str, tail: str | None = None) -> list[str]:
        parts = [_clause(variant, api, r, t) for api, r in rows(variant)]
        return [head + t["sep"].join(parts) + (t["end"] if tail is None else tail)] if parts else []

    out = [_clause("no_close_join", api, r, t) for api, r in rows("no_close_join")]
    stuck = [r for r in data.itertuples() if r.runs_cleanup_stuck > 0]
    if stuck:
        runs = t["comma"].join(
            t["stuck_run"].format(
                k=int(r.runs_cleanup_stuck), n=int(r.n), api=r.api, label=LABELS[language][str(r.variant)]
            )
            for r in stuck
        )
        out.append(t["stuck"].format(runs=runs, grace=CLEANUP_GRACE))
    warned = [(api, r) for api, r in rows("no_close_join") if r.runs_resource_warning > 0]
    if warned:
        runs = t["and"].join(t["warned_run"].format(**_fields(api, r, t)) for api, r in warned)
        out.append(t["warned"].format(runs=runs))
    out += sentence(t["kept"], "no_close_join_kept")
    joins = rows("join_only")
    out += sentence(
        t["join_only"], "join_only", t["no_results"] if all(r.runs_complete == 0 for _, r in joins) else None
    )
    cj = rows("close_join")
    seed = t["and"].join(t["seed_alive"].format(alive=r.children_alive_after_max, api=api) for api, r in cj)
    out += sentence(t["close_only"], "close_only", t["with_both"].format(seed=seed) if seed else None)
    out += sentence(t["context"], "context_manager")
    late = rows("context_manager_late_get")
    if late:
        out += sentence(t["late_head"].format(timeout=float(late[0][1].get_timeout)), "context_manager_late_get")
    out += [_times(api, by, t, language) for api in apis if (api, BASELINE) in by]

    # The answer to the seed's question, from the rows above.
    drop = rows("no_close_join")
    if drop:
        optional = all(r.runs_complete == r.n for _, r in drop)
        answer = t["answer"] + t["optional" if optional else "needed"]
        what = []
        if cj and all(r.children_alive_after_max == 0 for _, r in cj):
            what.append(t["none_alive"])
        collected = sum(int(r.runs_pool_collected) for _, r in drop)
        if collected:
            what.append(t["gc"].format(k=collected, n=sum(int(r.n) for _, r in drop)))
        if any(r.runs_lingering > 0 for _, r in rows("no_close_join_kept")):
            what.append(t["kept_running"])
        if joins and all(r.runs_error == r.n for _, r in joins):
            what.append(t["join_raised"].format(error=_error_type(joins[0][1].outcomes)))
        if any(r.runs_ok < r.n for _, r in late):
            what.append(t["with_block"])
        if what:
            answer += t["decide"] + t["sep"].join(what)
        out.append(answer + t["end"])
    return out
