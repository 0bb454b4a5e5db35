"""results/report.md: the machine, the config, the tables, the figures, the verdicts."""

from __future__ import annotations

import datetime as dt
import time

import pandas as pd
import yaml

from .calibrate import PARALLEL, floor_kind, floor_of
from .precision import min_repeats
from .present.common import WORDS
from .receipt import NEAR_FLOOR, NOISIER_P, miss_kind, noisier, opening_line, quiet_lines, stop_counts
from .stats import interval_vs_one
from .tables import fmt_p, fmt_seconds

#: The appendix's findings (the speedup at the largest loop count) in each language.
TEXT = {
    "en": {
        "names": {"read": "read", "readwrite": "read & write", "overwrite": "read & overwrite"},
        "none": "no interval",
        "range": "range {text} of the paired runs, which covers the true median only with {coverage:.0%} probability",
        "interval": "{level:.0%} interval {text}",
        "unknown": "no interval to tell faster from slower (it needs 6 or more repetitions)",
        "includes": "not distinguishable from serial (the interval includes 1×)",
        "sentence": "**{name}, {loops} loops, Pool({workers})**: {pool} s against {serial} s serially, a speedup of **{speedup:.2f}×** ({interval}): {verdict}, where {ideal}× would be the ideal on {cores} usable core{s}.",
        "p": " The difference is {sig} (paired sign test, p = {p} {op} {alpha:.2g}).",
    },
    "zh": {
        "names": {"read": "读", "readwrite": "读&写", "overwrite": "读&写覆盖"},
        "none": "没有区间",
        "range": "配对运行的范围 {text}，它覆盖真实中位数的概率只有 {coverage:.0%}",
        "interval": "{level:.0%} 区间 {text}",
        "unknown": "没有区间，无法判断快慢（需要 6 次或更多重复）",
        "includes": "与串行无法区分（区间包含 1×）",
        "sentence": "**{name}，{loops} 次，Pool({workers})**：多进程 {pool} 秒，串行 {serial} 秒，加速比 **{speedup:.2f}×**（{interval}）：{verdict}，而在 {cores} 个可用核上理想值为 {ideal}×。",
        "p": "差异{sig}（配对符号检验，p = {p} {op} {alpha:.2g}）。",
    },
}
NAMES = TEXT["en"]["names"]
#: The operations of each appendix table, by the prefix of their summary columns.
APPENDIX_OPERATIONS = {"read": [("", "read")], "readwrite": [("", "readwrite"), ("overwrite_", "overwrite")]}


def _interval(low: float, high: float, coverage: float, level: float, language: str = "en") -> str:
    t = TEXT[language]
    if pd.isna(low):
        return t["none"]
    text = f"{low:.2f}–{high:.2f}×"
    return t["range" if coverage + 1e-9 < level else "interval"].format(text=text, coverage=coverage, level=level)


def verdict_of(speedup: float, low: float, high: float, language: str = "en") -> str:
    """Faster or slower only when the whole interval says so; without an interval, nothing."""
    if pd.isna(low) or pd.isna(high):
        return TEXT[language]["unknown"]
    where = interval_vs_one(low, high)
    return TEXT[language]["includes"] if where == "includes" else WORDS[language][where]


def speedup_sentence(
    summary: pd.DataFrame, experiment: str, cores: int, level: float, prefix: str = "", language: str = "en"
) -> list[str]:
    """One sentence per worker count about the speedup at the largest loop count."""
    t, out = TEXT[language], []
    for workers, sub in summary.groupby("workers", sort=True):
        row = sub.loc[sub["loops"].idxmax()]
        low, high = row[f"{prefix}speedup_ci_low"], row[f"{prefix}speedup_ci_high"]
        out.append(
            t["sentence"].format(
                name=t["names"][experiment],
                loops=int(row["loops"]),
                workers=int(workers),
                pool=fmt_seconds(row[f"{prefix}pool_median"]),
                serial=fmt_seconds(row[f"{prefix}serial_median"]),
                speedup=row[f"{prefix}speedup"],
                interval=_interval(low, high, row[f"{prefix}speedup_ci_coverage"], level, language),
                verdict=verdict_of(row[f"{prefix}speedup"], low, high, language),
                ideal=min(int(workers), cores),
                cores=cores,
                s="s" if cores != 1 else "",
            )
            + _p_text(row.get(f"{prefix}speedup_p"), level, language)
        )
    return out


def _p_text(p, level: float, language: str = "en") -> str:
    """The paired test's verdict on "Pool and serial take the same time"."""
    if p is None or pd.isna(p):
        return ""
    alpha = 1 - level
    sig = p < alpha
    return TEXT[language]["p"].format(sig=WORDS[language][sig], p=fmt_p(p), op="<" if sig else "≥", alpha=alpha)


def conditions_section(raw: pd.DataFrame, config: dict, env: dict) -> list[str]:
    """How the appendix tables were measured, as recorded in their raw rows."""

    def values(column: str) -> str:
        if column not in raw:
            return "not recorded"
        return ", ".join(sorted(raw[column].dropna().astype(str).unique())) or "not recorded"

    lines = [
        f"- **start method** of the Pools: {values('start_method')} "
        "(fork is the seed's setting; Python 3.14 makes forkserver Linux's default)."
    ]
    if "chunksize_effective" in raw:
        eff = sorted(int(v) for v in raw.loc[raw["variant"] == "pool", "chunksize_effective"].dropna().unique())
        lines.append(
            f"- **chunksize** handed to `Pool.map`: {values('chunksize')}"
            + (f" (effective {', '.join(map(str, eff))} tasks per chunk across the loop counts)." if eff else ".")
        )
    if "resident_before" in raw:
        res = raw["resident_before"].dropna()
        if res.empty:
            check = "residency could not be checked here (no mincore)"
        else:
            share = f"{res.min():.0%}" if res.min() == res.max() else f"between {res.min():.0%} and {res.max():.0%}"
            check = f"before every timed run {share} of the test file's pages were in the page cache (mincore)"
        lines.append(f"- **page cache**: {values('cache')}; {check}.")
    if "fsync" in raw:
        writes = raw[raw["experiment"].isin(["readwrite", "overwrite"])]
        modes = {
            "fsync before close" if str(v).lower() == "true" else "buffered (no fsync)"
            for v in writes["fsync"].dropna()
        }
        lines.append(f"- **writes**: {', '.join(sorted(modes)) or 'no write runs'}.")
    if "scratch_fs" in raw:
        lines.append(
            f"- **written files** in `{config.get('scratch_dir')}` on {values('scratch_fs')}; "
            f"the test file on {env.get('filesystems', {}).get('data', 'unknown')}."
        )
    return lines


def precision_notes(
    cells: list[tuple], level: float, target: float = 0.05, limit: int = 5, calibration: dict | None = None
) -> list[str]:
    """Cells whose interval is wider than +-target, with the repeats that would reach it if the spread stays as
    measured (precision.reps_for), each set against the floor of its kind and run length (receipt.miss_kind, with
    the repetitions it got).  ``cells`` holds (label, relative half-width, repeats needed[, CV, run seconds,
    floor kind or operation, repetitions, the sentinel CV of its point])."""
    nan = float("nan")
    cells = [tuple(c) + ("", nan, nan, nan, nan, None, nan, nan)[len(c) :] for c in cells]
    wide = [c for c in cells if pd.notna(c[1]) and c[1] > target]
    if not wide:
        return [f"Every cell's {level:.0%} interval of the median is within ±{target:.0%}."]
    wide.sort(key=lambda c: -c[1])
    needs = pd.Series([c[2] for c in wide if pd.notna(c[2])], dtype=float)
    text = f"{len(wide)} of {len(cells)} cells have a {level:.0%} interval of the median wider than ±{target:.0%}"
    if len(needs):
        text += (
            f"; estimated from their spread (the expected width of the interval at it), half of them would reach ±{target:.0%} with "
            f"about {int(needs.median())} repetitions and 90% with about {int(needs.quantile(0.9))} "
            f"(`max_repeats` and `budget_minutes` with `repeats: auto`, or a fixed `repeats`)"
        )

    # Each cell's floor (calibrate.floor_of; docs/method.md, "Know the machine's floor"), its point's
    # sentinel counted on as many runs as the cell's (one sentinel per repetition).
    floors = [
        floor_of(calibration, c[4], floor_kind(c[5]), c[7], c[6], (c[3], c[6])) if pd.notna(c[4]) else (nan, nan)
        for c in wide
    ]
    verdicts = [miss_kind(c[3], f, c[6], target, level, c[6], f_n, c[1]) for c, (f, f_n) in zip(wide, floors)]
    counts = pd.Series(verdicts).value_counts()
    if counts.drop("unknown", errors="ignore").sum():
        also = sum(1 for c, (f, f_n), v in zip(wide, floors, verdicts) if v == "floor" and noisier(c[3], c[6], f, f_n))
        words = {
            "floor": "held back by the machine: even at its floor for their kind and run length (or at their "
            f"own spread, where that is within {NEAR_FLOOR}× of it), ±{target:.0%} needs more repetitions than "
            "they got" + (f" ({also} of them also noisier than the machine)" if also else ""),
            "budget": "short of repetitions: the floor allowed the target, and their spread is not shown to "
            "be above it",
            "noisy": "noisier than the machine, which alone would have allowed the target",
            "unknown": "without a floor or spread to compare",
        }
        text += ". Of them, " + "; ".join(f"{int(counts[k])} {words[k]}" for k in words if k in counts)
        if also or "noisy" in counts:
            text += (
                f". Noisier than the machine: a spread over {NEAR_FLOOR}× the floor that the F-test of the two "
                f"spreads puts beyond chance (p < {NOISIER_P})"
            )
        # The cells the machine does not excuse, by name: what a reader can act on.
        ours = [(c, v) for c, v in zip(wide, verdicts) if v in ("budget", "noisy")]
        if ours:
            # A width that rounds to the target is printed finer: "±5.01%", not "±5.0%" beside "±5%".
            named = "; ".join(
                f"{c[0]} ±{c[1]:.{2 if f'{c[1]:.1%}' == f'{target:.1%}' else 1}%} "
                f"({words[v].split(':')[0].split(',')[0]})"
                for c, v in ours[:limit]
            )
            text += f". Not held back by the machine: {named}" + (
                f"; and {len(ours) - limit} more" if len(ours) > limit else ""
            )
    out = [text + "." + (" The widest:" if limit else "")]
    for c, (floor, _) in list(zip(wide, floors))[:limit]:
        label, half, need, cv = c[:4]
        extra = f" (CV {cv:.1%}, {cv / floor:.1f}× the floor)" if pd.notna(cv) and pd.notna(floor) and floor else ""
        out.append(
            f"{label}: {width_text(half, 0, level).replace(' with 0 repetitions', '')}{extra}"
            + (f", needs about {int(need)} repetitions" if pd.notna(need) else "")
        )
    if len(wide) > limit:
        out.append(
            f"… and {len(wide) - limit} more (see the `*_ci_halfwidth_rel` and `*_repeats_needed` "
            "columns of the summaries)."
        )
    return out


def floor_line(calibration: dict | None) -> str:
    """The machine's own noise, as the calibration measured it."""
    floor = (calibration or {}).get("floor") or []
    if not floor:
        return "No calibration: the machine's floor is unknown."

    def kind(name: str) -> str:
        return ", ".join(f"CV {f['cv']:.1%} at {fmt_seconds(f['median'])} s" for f in floor if f["operation"] == name)

    text = f"The machine's floor (`results/calibration.json`): back-to-back runs of one fixed pure-Python loop, {kind('cpu_loop')}"
    for name, what in (
        ("read", "reads of a file of the test file's size (1 and 10 per run)"),
        ("write", "reads that replace a copy of it (1 and 10 per run)"),
        ("pool", "starting a Pool (create, one tiny task per worker, close, join)"),
        *(
            (name, f"the same under {name[5:]}")
            for name in dict.fromkeys(f["operation"] for f in floor if str(f["operation"]).startswith("pool_"))
        ),
        ("dispatch", "tiny tasks one at a time through a running Pool (500 and 5,000 per run)"),
        (PARALLEL, "the loop on every core at once through a running Pool (the floor of CPU work in a Pool)"),
    ):
        if any(f["operation"] == name for f in floor):
            text += f"; {what}, {kind(name)}"
    return text + (
        ". A cell whose spread is near the floor of its kind at its run length is as precise as this "
        "machine allows; a run that starts a Pool is held to the Pool start's floor plus its work's. "
        "The machine's noise changes over a run, so every point also times the same loop once after "
        "each repetition (the sentinel); where the machine was noisier while a point ran than at the "
        "start, the sentinel's spread is that point's floor, up to the point's own spread."
    )


def sentinel_line(points: pd.DataFrame | None) -> list[str]:
    """How noisy the machine was while the points ran: the spread of their sentinels."""
    if points is None or points.empty or "sentinel_cv" not in points or points["sentinel_cv"].isna().all():
        return []
    cv = points["sentinel_cv"].dropna()
    return [
        f"**The machine while the points ran** (the sentinel loop after every repetition): CV median "
        f"{cv.median():.1%} over {len(cv)} points, from {cv.min():.1%} to {cv.max():.1%}."
    ]


#: The numbers each appendix table shows, by their summary columns.
APPENDIX_QUANTITIES = {
    "read": ["serial", "pool", "speedup"],
    "readwrite": ["serial", "pool", "speedup", "overwrite_pool"],
}


def _appendix_rows(summaries: dict[str, pd.DataFrame]):
    """(table, row) for every row of the appendix tables measured, read first."""
    for table in APPENDIX_OPERATIONS:
        if summaries.get(table) is not None:
            yield from ((table, row) for _, row in summaries[table].iterrows())


def appendix_rows_on_target(
    summaries: dict[str, pd.DataFrame], points: pd.DataFrame | None, target: float
) -> list[str]:
    """Rows of the appendix tables with every number they show within +-target, and why the others are not."""
    rows, missed = list(_appendix_rows(summaries)), []
    if not rows:
        return []
    why = {} if points is None or points.empty else {(r.experiment, r.point): r for r in points.itertuples()}
    for table, row in rows:
        widths = {q: row.get(f"{q}_ci_halfwidth_rel") for q in APPENDIX_QUANTITIES[table]}
        wide = {k: v for k, v in widths.items() if pd.isna(v) or v > target}
        if not wide:
            continue
        worst = max(wide, key=lambda k: -1 if pd.isna(wide[k]) else wide[k])
        # the overwrite is timed in the read & write job (runner.PAIRED): that point's receipt
        point = why.get((table, f"loops{int(row['loops'])}_workers{int(row['workers'])}"))
        reason = f" ({point.repeats_done} repetitions, stopped: {point.stop_reason}; {point.why})" if point else ""
        n = int(row.get("serial_n", 0))
        missed.append(
            f"  - {NAMES[table]}, {int(row['loops'])} loops, Pool({int(row['workers'])}): "
            f"{worst.replace('_', ' ')} {width_text(wide[worst], n)}{reason}"
        )
    return [
        f"**Appendix tables**: {len(rows) - len(missed)} of {len(rows)} rows have every number they show (serial, "
        f"Pool, speedup, and for read & write the overwrite) within ±{target:.0%}.",
        *missed,
    ]


def width_text(width: float, n: int, level: float = 0.95) -> str:
    """±x%, or why there is no interval."""
    if pd.isna(width) or width == float("inf"):
        return f"no {level:.0%} interval with {n} repetitions"
    return f"±{width:.1%}"


def points_lines(points: pd.DataFrame | None, target: float, limit: int = 12) -> list[str]:
    """Stop reasons over all points, and the points that missed the target with the reason."""
    if points is None or points.empty:
        return []
    counts = ", ".join(f"{k} {reason.replace('_', ' ')}" for reason, k in stop_counts(points).items())
    reps = points["repeats_done"]
    out = [
        f"**Points** (one timed job each): {len(points)}, with {int(reps.min())}–{int(reps.max())} repetitions "
        f"(median {int(reps.median())}); stopped: {counts}."
    ]
    if "borrowed_s" in points:
        lent = points[points["borrowed_s"].fillna(0) > 0]
        if not lent.empty:
            out.append(
                f"{len(lent)} points went on past their share of the budget with "
                f"{lent['borrowed_s'].sum():.0f} s that points which finished early left; "
                f"{int(lent['precise'].astype(bool).sum())} of them then reached ±{target:.0%}."
            )
    if {"timed_seconds", "time_cap_s"} <= set(points.columns):
        over = points["timed_seconds"] - points["time_cap_s"] - points.get("borrowed_s", 0).fillna(0)
        first = min_repeats(0.95)
        over = over[(over > 0) & (pd.to_numeric(points["repeats_done"], errors="coerce") <= first)]
        if not over.empty:
            out.append(
                f"{len(over)} points ran {over.sum():.0f} s past their share in timed runs alone: the "
                f"{first} repetitions a 95% interval needs cost more than the plan estimated (their "
                "overruns are owed to the ledger: points that finished early pay for them first, and the points "
                "after them pay back the rest by stopping sooner)."
            )
    if {"timed_seconds", "time_cap_s", "rep_seconds"} <= set(points.columns):
        # Stopped for time with a repetition's worth of its share unused: the run was
        # in debt, and the point paid it back by stopping sooner (mpbench.credit).
        unused = points["time_cap_s"] - points["timed_seconds"]
        paid = (points["stop_reason"].astype(str) == "time") & (unused >= points["rep_seconds"])
        if paid.any():
            out.append(
                f"{int(paid.sum())} points stopped for time {unused[paid].sum():.0f} s before their share ran out: "
                "the run was in debt (overruns that points which finished early had not covered), and they paid "
                "it back by stopping at an earlier checkpoint (a point's 'budget paid for' counts its share)."
            )
    missed = points[~points["precise"].astype(bool)].sort_values("worst_halfwidth_rel", ascending=False)
    if missed.empty:
        return out

    def kind(why: str) -> str:
        starts = {
            "noisier": "noisier than the machine",
            "the machine's floor": "held back by the machine's floor",
            "the budget": "held back by the budget",
            "repeats fixed": "with fixed repeats",
            "": "without a floor to compare with",  # any other reason
        }
        return next(words for start, words in starts.items() if why.startswith(start))

    kinds = missed["why"].astype(str).map(kind).value_counts()
    out.append(
        f"{len(missed)} points have an interval wider than ±{target:.0%}: "
        + ", ".join(f"{k} {w}" for w, k in kinds.items())
        + ". The widest:"
    )
    for r in missed.head(limit).itertuples():
        out.append(
            f"  - {r.experiment} {r.point}: {r.worst} {width_text(r.worst_halfwidth_rel, r.repeats_done)} "
            f"after {r.repeats_done} repetitions ({r.stop_reason}) — {r.why}"
        )
    if len(missed) > limit:
        out.append(f"  - … and {len(missed) - limit} more in `results/summary/points.csv`.")
    return out


def _cell(label: str, row, prefix: str, seconds, kind) -> tuple:
    """A precision cell (see :func:`precision_notes`) from the columns ``<prefix>ci_halfwidth_rel``, ... of a summary row."""
    half, need, cv, n = (row.get(prefix + column) for column in ("ci_halfwidth_rel", "repeats_needed", "cv", "n"))
    return (label, half, need, cv, seconds, kind, n, row.get("sentinel_cv"))


def appendix_precision_cells(summaries: dict[str, pd.DataFrame]) -> list[tuple]:
    cells = []
    for table, row in _appendix_rows(summaries):
        for prefix, op in APPENDIX_OPERATIONS[table]:
            for variant in ("serial", "pool"):
                p = f"{prefix}{variant}_"
                if row.get(p + "ci_halfwidth_rel") is None:
                    continue
                label = f"{NAMES[op]}, {int(row['loops'])} loops, {variant} (Pool({int(row['workers'])}))"
                kind = op + ("+pool" if variant == "pool" else "")
                cells.append(_cell(label, row, p, row.get(p + "median"), kind))
    return cells


def experiment_precision_cells(name: str, summary: pd.DataFrame) -> list[tuple]:
    """Precision cells of an experiment's summary: one per row that has an
    interval (the columns before ``median`` name the cell)."""
    if "ci_halfwidth_rel" not in summary or "median" not in summary:
        return []
    keys = list(summary.columns[: list(summary.columns).index("median")])
    # Name a cell by what tells it apart: the key columns that vary, and its variant.
    keys = [k for k in keys if k == "variant" or summary[k].nunique(dropna=False) > 1][:4]
    cells = []
    for _, row in summary.iterrows():
        label = f"{name}: " + ", ".join(f"{k} {row[k]}" for k in keys)
        kind, sample = row.get("floor_kind"), row.get("sample_seconds")
        kind = kind if isinstance(kind, str) else row.get("operation")
        cells.append(_cell(label, row, "", sample if pd.notna(sample) else row["median"], kind))
    return cells


def machine_section(env: dict) -> str:
    mem = env.get("memory_bytes")
    rows = {
        "host": env["host"],
        "CPU": env["cpu_model"],
        "cores": f"{env['usable_cores']} usable, {env['logical_cores']} logical, {env.get('physical_cores') or 'unknown'} physical",
        "memory": f"{mem / 2**30:.1f} GiB" if mem else "unknown",
        "OS": env["platform"],
        "Python": f"{env['python_implementation']} {env['python']} ({env['python_build']})",
        "default start method": f"{env['start_method']} (available: {', '.join(env.get('start_methods_available', [])) or 'unknown'})",
        "page-cache eviction": env.get("cache_eviction", "unknown"),
        "file systems": ", ".join(f"{k}: {v}" for k, v in env.get("filesystems", {}).items()),
        "packages": ", ".join(f"{k} {v}" for k, v in env.get("packages", {}).items() if v),
        "mpbench commit": env.get("git_commit") or "not a git checkout",
    }
    return "\n".join(["| | |", "| --- | --- |", *(f"| {label} | {value} |" for label, value in rows.items())])


def experiment_sections(sections: list[dict]) -> list[str]:
    """Report lines for the seed's other experiments, each a dict of ``title``, ``findings`` (sentences),
    ``table`` (markdown) and ``figure`` (path relative to the report)."""
    lines: list[str] = []
    for section in sections:
        lines += [f"## {section['title']}", ""]
        lines += [f"- {sentence}" for sentence in section["findings"]]
        lines += ["", section["table"].strip(), "", f"![{section['title']}]({section['figure']})", ""]
    return lines


def _seed_lines(section: dict | None) -> list[str]:
    """The post's conclusions checked, and its numbers beside ours."""
    if not section:
        return []
    return [
        "## The post's conclusions, checked",
        "",
        "Each conclusion of the post, computed from this run's summaries (`results/summary/claims.csv`) by the "
        "rules in `docs/claims.md`: *holds* and *does not hold* only where the intervals or a paired test say so, "
        "*inconclusive* where they cannot tell yet (the last column says what would decide it), *not measured* "
        "where the data it needs were not part of this run.",
        "",
        section["claims"].strip(),
        "",
        "## The post side by side",
        "",
        *[f"- {line}" for line in section["sentences"]],
        "",
        section["table"].strip(),
        "",
        f"![The post against this machine]({section['figure']})",
        "",
    ]


def _when(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def render(
    config: dict,
    env: dict,
    tables: dict[str, str],
    summaries: dict[str, pd.DataFrame],
    raw: pd.DataFrame,
    figures: dict[str, str],
    sections: list[dict] | None = None,
    precision_cells: list[tuple[str, float, float]] | None = None,
    seed_section: dict | None = None,
    points: pd.DataFrame | None = None,
    now: float | None = None,
    model_section: list[str] | None = None,
) -> str:
    """The whole report as markdown; figure paths are relative to the report."""
    level = config["ci_level"]
    language = config.get("language", "zh")
    target = config.get("precision", 0.05)
    cells = appendix_precision_cells(summaries) + list(precision_cells or [])
    cores = int(env["usable_cores"])
    span = raw["ended_at"].max() - raw["started_at"].min()
    timed = (raw["ended_at"] - raw["started_at"]).sum()
    hosts = sorted(raw["host"].astype(str).unique())
    parts = [
        "# mpbench report: Python multiprocessing file IO on this machine",
        "",
        "This report re-measures appendix B of the blog post «Python multiprocessing：像线程一样管理进程» "
        f"(a {config['data']['size_mb']} MiB, {config['data']['lines']}-line text file read, and read and written, "
        "`loops` times serially and through `Pool(workers).map`).",
        "",
        *(
            [opening_line(points, cells, env.get("calibration"), now or time.time(), target), ""]
            if points is not None and not points.empty
            else []
        ),
        f"The appendix tables were measured from {_when(raw['started_at'].min())} to "
        f"{_when(raw['ended_at'].max())} ({span / 60:.1f} min, the other experiments' points between them; "
        f"{timed / 60:.1f} min in the tables' own {len(raw)} timed runs).",
    ]
    from .plots import font_note

    if note := font_note(language):
        parts += ["", f"> **Note:** {note}"]
    if len(hosts) > 1:
        parts += [
            "",
            f"> **Warning:** these results mix {len(hosts)} hosts ({', '.join(hosts)}); compare them per host.",
        ]
    parts += ["", "## Machine", "", machine_section(env), ""]
    parts += ["## Conditions of the appendix tables", "", *conditions_section(raw, config, env), ""]
    parts += ["## Speedup at the largest loop count", ""]
    for table, operations in APPENDIX_OPERATIONS.items():
        for prefix, op in operations:
            parts += [f"- {s}" for s in speedup_sentence(summaries[table], op, cores, level, prefix, language)]
    parts += [
        "",
        "## Read (appendix B, table 1)",
        "",
        tables["read"].strip(),
        "",
        "## Read & write (appendix B, table 2)",
        "",
        "The last column times every operation writing the *same* file (the seed's 写覆盖), through the Pool.",
        "",
        tables["readwrite"].strip(),
        "",
        *_seed_lines(seed_section),
        "## Figures",
        "",
        f"![Time against loops]({figures['time']})",
        "",
        "Median time of one run of `loops` operations, with the interval of the median as bars. "
        "Both axes are logarithmic: a line of slope one means time grows in proportion to the work. "
        "The gap between the serial and the Pool line is the speedup; at small loop counts the "
        "Pool's start-up cost dominates and the Pool line lies above the serial one.",
        "",
        f"![Speedup against loops]({figures['speedup']})",
        "",
        "Speedup = serial / Pool (medians), with the interval of the paired ratios as bars. "
        "Above the dashed 1× line processes pay off; the dotted line is the ideal min(workers, cores).",
        "",
        *experiment_sections(sections or []),
        *(model_section or []),
        "## Precision",
        "",
        f"Every point repeats until the {level:.0%} intervals of everything its table reports are within "
        f"±{target:.0%}, or `max_repeats`, or its share of `budget_minutes` (`repeats: auto`; see docs/method.md).",
        "",
        f"- {floor_line(env.get('calibration'))}",
        *[f"- {line}" for line in sentinel_line(points)],
        *[f"- {line}" for line in quiet_lines(points if points is not None else pd.DataFrame())],
        *[
            f"- {line}" if not line.startswith("  ") else line
            for line in appendix_rows_on_target(summaries, points, target) + points_lines(points, target)
        ],
        *[f"- {line}" for line in precision_notes(cells, level, target, calibration=env.get("calibration"))],
        "",
        "## Configuration",
        "",
        "```yaml",
        yaml.safe_dump(config, sort_keys=False, allow_unicode=True, default_flow_style=None).strip(),
        "```",
        "",
        "Raw rows: `results/raw/<experiment>/loops<L>_workers<W>.csv`; summaries with intervals and CVs: "
        "`results/summary/read.csv`, `results/summary/readwrite.csv`; machine facts: `results/environment.json`.",
        "",
    ]
    return "\n".join(parts)
