"""fsync_sweep (写入是否落盘): what the seed's "write" measured.

The seed's writes are buffered: ``write`` returns once the text is copied
into the page cache, and the kernel writes it to the disk later, outside the
timed run.  Each point here is one write operation (readwrite, overwrite)
done ``loops`` times, serially and through ``Pool(workers)``, with buffered
writes (the seed's setting) and with ``fsync`` before every close, so the
data has reached the disk when the run ends.  Every other condition is the
top-level one.  The findings give the cost of fsync (time ratio
fsync / buffered per mode, paired p) and whether the Pool still pays off.
"""

from __future__ import annotations

from ..lazy import pandas as pd

from ..stats import interval_vs_one
from .cache_state import (context, few_repeats, mode_medians, ordered, plot_levels, run_levels, speedup_text,
                          summarize_levels, table_levels, versus)

WRITE_MODES = ("buffered", "fsync")
FACTOR = "write_mode"
POOL_VERDICT = {"above": "still pays off", "below": "is slower than serial",
                "includes": "is not distinguishable from serial"}
NAME = __name__.rsplit(".", 1)[-1]  # the section name; it may have to differ from the top-level key `fsync`




def run(point: dict, section: dict, *, repeats: int, warmup: int, scratch_dir: str | None = None,
        data_file: str | None = None, base: dict | None = None) -> list[dict]:
    scratch = scratch_dir or "results/scratch"
    modes = [m for m in WRITE_MODES if m in section["modes"]]
    return run_levels(NAME, point, section, FACTOR, modes,
                      lambda mode: {"fsync": mode == "fsync", "scratch_dir": scratch},
                      repeats=repeats, warmup=warmup, data_file=data_file, base=base)


def summarize(raw: pd.DataFrame, level: float) -> pd.DataFrame:
    return summarize_levels(raw, level, FACTOR)


def table(summary: pd.DataFrame, language: str = "zh") -> str:
    return table_levels(summary, FACTOR, language, {"zh": "写入方式", "en": "Writes"}, str)


def plot(summary: pd.DataFrame, cores: int, out_paths) -> None:
    plot_levels(summary, FACTOR, out_paths, "fsync: buffered writes (as the seed: left in the page cache) against "
                "fsync before every close (on the disk)", "how each written file is closed")


def findings(summary: pd.DataFrame, env: dict) -> list[str]:
    data = ordered(summary, FACTOR)
    out = []
    for op, rows in data.groupby("operation", sort=False):
        synced, buffered = rows[rows[FACTOR] == "fsync"], rows[rows[FACTOR] == "buffered"]
        head = f"{op} ({context(rows)})"
        if synced.empty or buffered.empty:
            only = "fsync" if buffered.empty else "buffered"
            pool = rows[rows["variant"] == "pool"]
            out.append(f"{head}, {only} writes only: {mode_medians(rows)}"
                       + (f"; Pool {speedup_text(pool.iloc[0])}." if not pool.empty else "."))
            continue
        slower = synced[synced["significant_vs_ref"].astype(bool) & (synced["ratio_vs_ref"] > 1)]
        if len(slower):
            which = " and ".join("Pool" if m == "pool" else m for m in slower["variant"])
            verdict = (f"fsync made the {which} writes significantly slower, so the seed's buffered \"write\" measured "
                       "copies into the page cache, not writes to the disk (the kernel wrote them out after the run).")
        else:
            verdict = ("fsync added no significant time here (at this number of repeats), so on this machine the "
                       "seed's buffered \"write\" was not distinguishably cheaper than writing to the disk.")
        text = f"{head}: time with fsync / buffered: {versus(synced)}. {verdict}"
        pool_b, pool_s = (r[r["variant"] == "pool"] for r in (buffered, synced))
        if not pool_b.empty and not pool_s.empty:
            where = interval_vs_one(pool_s.iloc[0]["speedup_ci_low"], pool_s.iloc[0]["speedup_ci_high"])
            text += (f" Under fsync the Pool {POOL_VERDICT[where]}: "
                     f"{speedup_text(pool_s.iloc[0])}, against {speedup_text(pool_b.iloc[0])} buffered.")
        out.append(text + f" Medians: fsync {mode_medians(synced)}; buffered {mode_medians(buffered)}."
                   + few_repeats(rows))
    return out
