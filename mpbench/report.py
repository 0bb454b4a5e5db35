"""results/report.md: the machine, the config, the tables, the figures, the verdicts."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import yaml

from .stats import interval_vs_one
from .tables import fmt_seconds

NAMES = {"read": "read", "readwrite": "read & write", "overwrite": "read & overwrite"}


def _interval(low: float, high: float, coverage: float, level: float) -> str:
    if pd.isna(low):
        return "no interval"
    text = f"{low:.2f}–{high:.2f}×"
    if coverage + 1e-9 < level:
        return f"range {text} of the paired runs, which covers the true median only with {coverage:.0%} probability"
    return f"{level:.0%} interval {text}"


def verdict_of(speedup: float, low: float, high: float) -> str:
    """Faster or slower only when the whole interval says so."""
    if pd.isna(low) or pd.isna(high):
        return "faster than serial" if speedup > 1 else "not faster than serial"
    return {
        "above": "faster than serial",
        "below": "slower than serial",
        "includes": "not distinguishable from serial (the interval includes 1×)",
    }[interval_vs_one(low, high)]


def speedup_sentence(summary: pd.DataFrame, experiment: str, cores: int, level: float, prefix: str = "") -> list[str]:
    """One sentence per worker count about the speedup at the largest loop count."""
    out = []
    for workers, sub in summary.groupby("workers", sort=True):
        row = sub.loc[sub["loops"].idxmax()]
        speedup = row[f"{prefix}speedup"]
        ideal = min(int(workers), cores)
        verdict = verdict_of(speedup, row[f"{prefix}speedup_ci_low"], row[f"{prefix}speedup_ci_high"])
        out.append(
            f"**{NAMES[experiment]}, {int(row['loops'])} loops, Pool({int(workers)})**: "
            f"{fmt_seconds(row[f'{prefix}pool_median'])} s against {fmt_seconds(row[f'{prefix}serial_median'])} s serially, "
            f"a speedup of **{speedup:.2f}×** ({_interval(row[f'{prefix}speedup_ci_low'], row[f'{prefix}speedup_ci_high'], row[f'{prefix}speedup_ci_coverage'], level)}): "
            f"{verdict}, where {ideal}× would be the ideal on {cores} usable core{'s' if cores != 1 else ''}."
            + _p_text(row.get(f"{prefix}speedup_p"), level)
        )
    return out


def _p_text(p, level: float) -> str:
    """The paired test's verdict on "Pool and serial take the same time"."""
    if p is None or pd.isna(p):
        return ""
    alpha = 1 - level
    if p < alpha:
        return f" The difference is significant (paired sign-flip test, p = {p:.3g} < {alpha:.2g})."
    return f" The difference is not significant (paired sign-flip test, p = {p:.3g} ≥ {alpha:.2g})."


def conditions_section(raw: pd.DataFrame, config: dict, env: dict) -> list[str]:
    """How the appendix tables were measured, as recorded in their raw rows."""

    def values(column: str) -> str:
        if column not in raw:
            return "not recorded"
        return ", ".join(sorted(raw[column].dropna().astype(str).unique())) or "not recorded"

    lines = [
        f"- **start method** of the Pools: {values('start_method')} "
        "(fork is the seed's setting; Python 3.14 makes forkserver Linux's default).",
    ]
    if "chunksize_effective" in raw:
        pool = raw[raw["variant"] == "pool"]
        eff = sorted(int(v) for v in pool["chunksize_effective"].dropna().unique())
        lines.append(f"- **chunksize** handed to `Pool.map`: {values('chunksize')}"
                     + (f" (effective {', '.join(map(str, eff))} tasks per chunk across the loop counts)." if eff else "."))
    if "resident_before" in raw:
        res = raw["resident_before"].dropna()
        state = values("cache")
        if res.empty:
            check = "residency could not be checked here (no mincore)"
        else:
            share = f"{res.min():.0%}" if res.min() == res.max() else f"between {res.min():.0%} and {res.max():.0%}"
            check = f"before every timed run {share} of the test file's pages were in the page cache (mincore)"
        lines.append(f"- **page cache**: {state}; {check}.")
    if "fsync" in raw:
        writes = raw[raw["experiment"].isin(["readwrite", "overwrite"])]
        fs = ", ".join(sorted({"fsync before close" if str(v).lower() == "true" else "buffered (no fsync)"
                               for v in writes["fsync"].dropna()})) or "no write runs"
        lines.append(f"- **writes**: {fs}.")
    if "scratch_fs" in raw:
        lines.append(f"- **written files** in `{config.get('scratch_dir')}` on {values('scratch_fs')}; "
                     f"the test file on {env.get('filesystems', {}).get('data', 'unknown')}.")
    return lines


def precision_notes(cells: list[tuple[str, float, float]], level: float, target: float = 0.05, limit: int = 5) -> list[str]:
    """Cells whose interval is wider than +-target, with the repeats that would reach it.

    ``cells`` holds (label, relative half-width, repeats needed); the
    estimate assumes the spread stays as measured (like pyperf's warning).
    """
    wide = [(label, half, need) for label, half, need in cells if pd.notna(half) and half > target]
    if not wide:
        return [f"Every cell's {level:.0%} interval of the median is within ±{target:.0%}."]
    wide.sort(key=lambda c: -c[1])
    needs = pd.Series([need for _l, _h, need in wide if pd.notna(need)], dtype=float)
    text = (f"{len(wide)} of {len(cells)} cells have a {level:.0%} interval of the median wider than ±{target:.0%}")
    if len(needs):
        text += (f"; estimated from their spread (as pyperf does), half of them would reach ±{target:.0%} with "
                 f"about {int(needs.median())} repetitions and 90% with about {int(needs.quantile(0.9))} "
                 f"(`repeats`, or an experiment's own `repeats`).")
    out = [text + (" The widest:" if limit else "")]
    for label, half, need in wide[:limit]:
        out.append(f"{label}: ±{half:.1%}" + (f", needs about {int(need)} repetitions" if pd.notna(need) else ""))
    if len(wide) > limit:
        out.append(f"… and {len(wide) - limit} more (see the `*_ci_halfwidth_rel` and `*_repeats_needed` "
                   "columns of the summaries).")
    return out


def appendix_precision_cells(summaries: dict[str, pd.DataFrame]) -> list[tuple[str, float, float]]:
    cells = []
    for table, prefixes in (("read", [("", "read")]), ("readwrite", [("", "read & write"), ("overwrite_", "read & overwrite")])):
        summary = summaries.get(table)
        if summary is None:
            continue
        for _, row in summary.iterrows():
            for prefix, name in prefixes:
                for variant in ("serial", "pool"):
                    half = row.get(f"{prefix}{variant}_ci_halfwidth_rel")
                    if half is None:
                        continue
                    cells.append((f"{name}, {int(row['loops'])} loops, {variant} (Pool({int(row['workers'])}))",
                                  half, row.get(f"{prefix}{variant}_repeats_needed")))
    return cells


def experiment_precision_cells(name: str, summary: pd.DataFrame) -> list[tuple[str, float, float]]:
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
        cells.append((label, row["ci_halfwidth_rel"], row.get("repeats_needed")))
    return cells


def machine_section(env: dict) -> str:
    mem = env.get("memory_bytes")
    mem_text = f"{mem / 2**30:.1f} GiB" if mem else "unknown"
    fs = ", ".join(f"{k}: {v}" for k, v in env.get("filesystems", {}).items())
    pkgs = ", ".join(f"{k} {v}" for k, v in env.get("packages", {}).items() if v)
    return "\n".join(
        [
            "| | |",
            "| --- | --- |",
            f"| host | {env['host']} |",
            f"| CPU | {env['cpu_model']} |",
            f"| cores | {env['usable_cores']} usable, {env['logical_cores']} logical, {env.get('physical_cores') or 'unknown'} physical |",
            f"| memory | {mem_text} |",
            f"| OS | {env['platform']} |",
            f"| Python | {env['python_implementation']} {env['python']} ({env['python_build']}) |",
            f"| default start method | {env['start_method']} (available: {', '.join(env.get('start_methods_available', [])) or 'unknown'}) |",
            f"| page-cache eviction | {env.get('cache_eviction', 'unknown')} |",
            f"| file systems | {fs} |",
            f"| packages | {pkgs} |",
            f"| mpbench commit | {env.get('git_commit') or 'not a git checkout'} |",
        ]
    )


def experiment_sections(sections: list[dict]) -> list[str]:
    """Report lines for the seed's other experiments: title, findings, table, figure.

    Each section is a dict with ``title``, ``findings`` (sentences),
    ``table`` (markdown) and ``figure`` (path relative to the report).
    """
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
        "Each conclusion of the post, computed from this run's summaries (`results/summary/claims.csv`); "
        "*not measured* means the data it needs were not part of this run.",
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
) -> str:
    """The whole report as markdown; figure paths are relative to the report."""
    level = config["ci_level"]
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
        f"Measured from {_when(raw['started_at'].min())} to {_when(raw['ended_at'].max())} "
        f"({span / 60:.1f} min, of which {timed / 60:.1f} min in timed runs), {len(raw)} timed runs.",
    ]
    if len(hosts) > 1:
        parts += ["", f"> **Warning:** these results mix {len(hosts)} hosts ({', '.join(hosts)}); compare them per host."]
    parts += ["", "## Machine", "", machine_section(env), ""]
    parts += ["## Conditions of the appendix tables", "", *conditions_section(raw, config, env), ""]
    parts += ["## Speedup at the largest loop count", ""]
    for experiment, summary, prefix in (
        ("read", summaries["read"], ""),
        ("readwrite", summaries["readwrite"], ""),
        ("overwrite", summaries["readwrite"], "overwrite_"),
    ):
        parts += [f"- {s}" for s in speedup_sentence(summary, experiment, cores, level, prefix)]
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
        "## Precision",
        "",
        *[f"- {line}" for line in precision_notes(appendix_precision_cells(summaries) + list(precision_cells or []), level)],
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
