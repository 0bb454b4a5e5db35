"""The cost model (mpbench.model, mpbench.modelfit): the fit finds known parameters in synthetic rows, the fit and
held-out sets are disjoint, a missing experiment is a missing term, model.json's structure, and ``advise``."""

import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import REPO

from mpbench import model as M
from mpbench import modelfit
from mpbench.present import model as present

MIB = 2**20
TRUE = {"S.a": 0.004, "S.b": 0.0017, "J.a": 0.003, "J.b": 0.0005, "m0": 0.0035, "d": 4e-7, "B": 5e8}
CAP = {"read": {1: 0.95, 2: 1.9, 4: 1.7, 8: 1.85}, "readwrite": {1: 0.9, 2: 2.0, 4: 1.95, 8: 1.9}}
CAP["cpu"] = {1: 1.0, 2: 1.9, 4: 1.95}
RATIO = {"spawn": 9.0, "forkserver": 2.0}
REPS = 8


def true_params() -> dict:
    p = dict(TRUE)
    p.update({f"C.{k}.{w}": c for k, caps in CAP.items() for w, c in caps.items()})
    p.update({f"S.ratio.{m}": r for m, r in RATIO.items()})
    return p


def S(w):
    return TRUE["S.a"] + TRUE["S.b"] * w


def J(w):
    return TRUE["J.a"] + TRUE["J.b"] * w


def rows(point: str, rng, **variants) -> list[dict]:
    """REPS repetitions of each variant: {name: {column: value}} with 1% noise on the times."""
    out = []
    for rep in range(REPS):
        for name, cols in variants.items():
            noisy = {k: v * (1 + 0.01 * rng.standard_normal()) if k.endswith("seconds") else v for k, v in cols.items()}
            out.append({"_point": point, "rep": rep, "variant": name, **noisy})
    return out


def synthetic_raw(seed: int = 1) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ws, loops, t_op = [], 40, {"read": 0.06, "readwrite": 0.13}
    for op in ("read", "readwrite"):
        pools = {
            f"pool{w}": {
                "workers": w,
                "pool_start_seconds": S(w),
                "pool_close_seconds": J(w),
                "map_seconds": TRUE["m0"] + loops * TRUE["d"] + loops * t_op[op] / CAP[op][w],
            }
            for w in CAP[op]
        }
        ws += rows(f"operation{op}", rng, serial={"workers": 1, "seconds": loops * t_op[op]}, **pools)
    workers_sweep = pd.DataFrame(ws).assign(loops=loops, start_method="fork", operation=lambda d: d["_point"].str[9:])
    ready = {"fork": 0.013, **{m: 0.013 * r for m, r in RATIO.items()}}
    sms = rows(
        "operationstartup", rng, **{f"startup_{m}": {"ready_seconds": s, "start_method": m} for m, s in ready.items()}
    )
    api = []
    for length in (100, 1000, 10000):
        api += rows(
            f"functionsquare_length{length}",
            rng,
            serial={"seconds": length * 1e-7},
            map={"call_seconds": TRUE["m0"] + length * TRUE["d"] + length * 1e-7},
        )
    api = pd.DataFrame(api).assign(
        function="square", workers=4, length=lambda d: d["_point"].str.extract(r"length(\d+)")[0].astype(int)
    )
    tvp, tasks, serial = [], 8, 0.8
    for w, c in CAP["cpu"].items():
        pool = S(w) + J(w) + TRUE["m0"] + tasks * TRUE["d"] + serial / c
        tvp += rows(
            f"kindcpu_workers{w}",
            rng,
            serial={"seconds": serial, "workers": w},
            process_pool={"seconds": pool, "start_seconds": S(w), "workers": w, "tasks": tasks},
        )
    arr_serial = 0.012
    work = TRUE["m0"] + 4 * TRUE["d"] + 4 * 32 * MIB / TRUE["B"] + arr_serial / CAP["cpu"][2]
    backends = rows(
        "workloadarray", rng, serial={"seconds": arr_serial}, pool={"work_seconds": work, "tasks": 4, "workers": 2}
    )
    return {
        "workers_sweep": workers_sweep,
        "start_method_sweep": pd.DataFrame(sms).assign(operation="startup"),
        "pool_api": api,
        "threads_vs_processes": pd.DataFrame(tvp).assign(kind="cpu"),
        "backends": pd.DataFrame(backends).assign(workload="array"),
    }


def exact(kind: str, n: int, t: float, w: int, a: float = 0.0, r: float = 0.0) -> float:
    """The Pool time the true parameters give."""
    return sum(
        M.pool_terms(true_params(), n=n, t=t, a=a, r=r, workers=w, kind=kind, method="fork", base="fork").values()
    )


def synthetic_summaries() -> dict[str, pd.DataFrame]:
    read = pd.DataFrame(
        [
            {
                "loops": n,
                "workers": 4,
                "serial_median": n * 0.06,
                "pool_median": exact("read", n, 0.06, 4),
                "start_method": "fork",
            }
            for n in (1, 5, 20)
        ]
    )
    cross = []
    for w in (2, 4):
        for size, serial in ((1000, 6e-5), (10**7, 0.5)):
            cross += [
                {"workers": w, "size": size, "variant": "serial", "median": serial},
                {"workers": w, "size": size, "variant": "pool", "median": exact("cpu", w, serial / w, w)},
            ]
    shm = []
    for kib in (10, 102400):
        nbytes = kib * 1024
        shm += [
            {"size_kib": kib, "workers": 2, "variant": "serial", "median": 1e-5, "nbytes": nbytes},
            {
                "size_kib": kib,
                "workers": 2,
                "variant": "pickle",
                "median": exact("cpu", 2, 5e-6, 2, nbytes / 2),
                "nbytes": nbytes,
            },
            {"size_kib": kib, "workers": 2, "variant": "shared_memory", "median": 0.02, "nbytes": nbytes},
        ]
    # custom's summary: the user's function, 48 tasks of 4 ms with 2 KiB arguments and 100-byte results
    custom = [{"size": "default", "variant": "serial", "backend": "serial", "median": 48 * 0.004}]
    custom += [
        {"size": "default", "variant": f"pool{w}", "backend": "pool", "median": exact("cpu", 48, 0.004, w, 2048, 100)}
        for w in (1, 2)
    ]
    custom += [{"size": "default", "variant": "executor", "backend": "executor", "median": 0.1}]
    custom = pd.DataFrame(custom).assign(
        workers=lambda d: d["variant"].map({"serial": 1, "pool1": 1, "pool2": 2, "executor": 2}),
        tasks=48,
        arg_bytes=2048.0,
        result_bytes=100.0,
        work_kind="cpu",
        start_method="fork",
    )
    return {"read": read, "crossover": pd.DataFrame(cross), "shared_memory": pd.DataFrame(shm), "custom": custom}


ENV = {"host": "test", "usable_cores": 2, "config": {"start_method": "fork", "backends": {"array_mib": 32}}}


@pytest.fixture(scope="module")
def built():
    return modelfit.build(synthetic_raw(), synthetic_summaries(), ENV, boot=40)


def test_fit_recovers_known_parameters(built):
    model, _ = built
    truth = true_params()
    for name, p in model["parameters"].items():
        assert p["value"] == pytest.approx(truth[name], rel=0.05, abs=2e-7), name
        assert p["ci_low"] <= p["value"] <= p["ci_high"], name
    assert set(model["parameters"]) == set(truth)
    assert all(info["status"] == "fitted" for info in model["terms"].values())


def test_held_out_cells_predicted_from_the_true_model(built):
    model, pred = built
    assert set(pred["source"]) == {"appendix read", "crossover", "shared_memory", "custom"}
    assert pred["predicted"].notna().all() and (pred["abs_error"] < 0.05).all()
    custom = pred[pred["source"] == "custom"]
    assert sorted(custom["workers"]) == [1, 2] and (custom["a"] == 2048).all() and (custom["r"] == 100).all()
    assert model["held_out"]["cells"] and model["held_out"]["median"] < 0.05
    assert (pred["predicted_low"] <= pred["predicted"]).all() and (pred["predicted"] <= pred["predicted_high"]).all()


def test_fit_and_held_out_sets_are_disjoint(built):
    model, _ = built
    fit = {t for ts in M.FIT_TABLES.values() for t in ts}
    assert fit.isdisjoint(M.HELD_OUT_TABLES.values())
    assert set(model["fit_sources"]).isdisjoint(model["held_out_sources"].values())
    assert set(M.HELD_OUT_TABLES) == set(modelfit.HELD_OUT)


def test_held_out_rows_never_reach_the_fit():
    raw = synthetic_raw()
    clean = modelfit.fit(raw, ENV, boot=0)
    with_held_out = {**raw, "crossover": pd.DataFrame({"rep": [0], "_point": ["x"], "variant": ["pool"]})}
    model, _ = modelfit.build(with_held_out, {}, ENV, boot=0)
    assert {n: p["value"] for n, p in model["parameters"].items()} == {
        n: p["value"] for n, p in clean["parameters"].items()
    }
    with pytest.raises(ValueError, match="overlap"):
        M.FIT_TABLES["bytes"].append("crossover")
        try:
            modelfit.build(raw, {}, ENV, boot=0)
        finally:
            M.FIT_TABLES["bytes"].remove("crossover")


def test_a_missing_experiment_is_a_missing_term_and_its_predictions_are_skipped():
    raw = synthetic_raw()
    del raw["backends"]
    model, pred = modelfit.build(raw, synthetic_summaries(), ENV, boot=0)
    assert model["terms"]["bytes"]["status"] == "missing"
    assert "backends" in model["terms"]["bytes"]["reason"]
    assert "B" not in model["parameters"]
    shm = pred[pred["source"] == "shared_memory"]
    assert shm["predicted"].isna().all() and shm["skipped"].str.contains("bytes: backends").all()
    moves = pred["source"].isin(["shared_memory", "custom"])  # cells whose tasks move bytes
    assert pred.loc[~moves, "predicted"].notna().all() and pred.loc[moves, "predicted"].isna().all()
    assert "shared_memory" in model["held_out"]["skipped"]

    del raw["threads_vs_processes"]
    model, pred = modelfit.build(raw, synthetic_summaries(), ENV, boot=0)
    assert model["terms"]["capacity.cpu"]["status"] == "missing"
    assert pred.loc[pred["source"] == "crossover", "skipped"].str.contains("capacity.cpu").all()
    advice = M.advise(model, task_s=0.02, tasks=1000)
    assert advice["rows"] == [] and any("capacity.cpu" in why for why in advice["missing"])


def test_model_json_structure(built):
    model, _ = built
    text = json.dumps(model, allow_nan=False)  # no NaN in the file
    model = json.loads(text)
    for key in ["formula", "host", "cores", "start_method", "start_methods", "parameters", "terms", "fit_sources"]:
        assert key in model
    assert model["start_methods"] == ["fork", "forkserver", "spawn"]
    for p in model["parameters"].values():
        assert {"value", "ci_low", "ci_high", "unit", "meaning", "source", "term"} <= set(p)
    boot = model["bootstrap"]
    assert len(boot["sets"]) == 40 and all(len(row) == len(boot["names"]) for row in boot["sets"])
    assert {"median", "p90", "count", "cells", "by_source", "skipped"} <= set(model["held_out"])


def test_capacity_interpolates_in_log_workers_and_holds_beyond():
    p = {"C.cpu.1": 1.0, "C.cpu.4": 2.0}
    assert M.capacity(p, "cpu", 2) == pytest.approx(1.5)
    assert M.capacity(p, "cpu", 64) == 2.0 and M.capacity(p, "cpu", 1) == 1.0
    assert math.isnan(M.capacity(p, "read", 2))


def hand_model(errors=(0.05,)) -> dict:
    """A model.json with the true parameters and no spread, and held-out cpu cells with these errors."""
    p = true_params()
    names = sorted(p)
    return {
        "formula": "T",
        "host": "test",
        "cores": 2,
        "start_method": "fork",
        "start_methods": ["fork", "spawn"],
        "parameters": {n: {"value": v} for n, v in p.items()},
        "terms": {t: {"status": "fitted"} for t in [*M.FIT_TABLES, "close", "start_method.spawn"]},
        "bootstrap": {"names": names, "sets": [[p[n] for n in names]] * 30},
        "held_out": {"cells": [{"source": "crossover", "kind": "cpu", "t": 0.02, "error": e} for e in errors]},
        "advice_data": {"shared_memory": [{"nbytes": 2000 * MIB, "ratio": 0.3}]},
    }


def advise_cli(*args, model=None, tmp_path=None):
    if model is not None:
        path = tmp_path / "model.json"
        path.write_text(json.dumps(model))
        args = (*args, "--model", str(path))
    return subprocess.run([sys.executable, "-m", "mpbench", "advise", *args], capture_output=True, text=True, cwd=REPO)


def test_advise_numbers_follow_from_the_parameters(tmp_path):
    proc = advise_cli(
        "--task-ms",
        "20",
        "--arg-mb",
        "2",
        "--tasks",
        "1000",
        "--workers",
        "1",
        "2",
        "4",
        model=hand_model(),
        tmp_path=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for w in (1, 2, 4):
        t = exact("cpu", 1000, 0.02, w, 2 * MIB)
        assert f"{20 / t:.2f}x ({20 / t:.2f} – {20 / t:.2f})" in out, (w, out)
    best = max((1, 2, 4), key=lambda w: 20 / exact("cpu", 1000, 0.02, w, 2 * MIB))
    overhead = exact("cpu", 1000, 0.0, best, 2 * MIB)
    assert f"at least {overhead / (1000 * (1 - 1 / M.capacity(true_params(), 'cpu', best))) * 1e3:.3g} ms" in out
    share = 1000 * 2 * MIB / TRUE["B"] / exact("cpu", 1000, 0.02, best, 2 * MIB)
    assert f"pickling the arguments and results is {share:.0%}" in out and "shared memory: yes" in out
    assert "SharedMemory 0.30x" in out and "caution" not in out


def test_advise_says_when_similar_cells_were_off(tmp_path):
    proc = advise_cli("--task-ms", "20", "--tasks", "100", model=hand_model(errors=(0.4, -0.5, 0.3)), tmp_path=tmp_path)
    assert proc.returncode == 0 and "caution: on 3 similar held-out cells (crossover)" in proc.stdout


def test_advise_refuses_in_one_line_without_a_model(tmp_path):
    missing = tmp_path / "nowhere" / "model.json"
    proc = advise_cli("--task-ms", "20", "--tasks", "1000", "--model", str(missing))
    assert proc.returncode != 0 and proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(missing) in lines[0] and "snakemake --cores all" in lines[0]
    broken = tmp_path / "model.json"
    broken.write_text("{not json")
    proc = advise_cli("--task-ms", "20", "--tasks", "1000", "--model", str(broken))
    assert proc.returncode != 0 and len(proc.stderr.strip().splitlines()) == 1 and str(broken) in proc.stderr


def test_advise_refuses_bad_options_in_one_line(tmp_path):
    proc = advise_cli("--task-ms", "-1", "--tasks", "10", model=hand_model(), tmp_path=tmp_path)
    assert (
        proc.returncode == 2
        and proc.stderr.strip() == "mpbench advise: --task-ms = -1.0 is not allowed; allowed: a number > 0"
    )
    proc = advise_cli(
        "--task-ms", "1", "--tasks", "10", "--start-method", "forkserver", model=hand_model(), tmp_path=tmp_path
    )
    assert proc.returncode == 2 and "allowed: fork, spawn" in proc.stderr


def test_advise_imports_nothing_heavy(tmp_path):
    path = tmp_path / "model.json"
    path.write_text(json.dumps(hand_model()))
    code = (
        "import sys, io, contextlib\n"
        "from mpbench.__main__ import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()): rc = main(['advise', '--task-ms', '1', '--tasks', '10', '--model', {str(path)!r}])\n"
        "heavy = {'pandas', 'numpy', 'matplotlib', 'seaborn', 'yaml'} & set(sys.modules)\n"
        "assert rc == 0 and not heavy, heavy\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr


def test_table_figure_and_section(built, tmp_path):
    model, pred = built
    for language in ("en", "zh"):
        md = present.table(pred, model, language)
        assert md.count("\n|") >= len(pred) + len(model["parameters"])
        lines = present.section(model, pred, md, "figures/x.png", language)
        text = "\n".join(lines)
        assert f"{model['held_out']['median']:.0%}" in text and "figures/x.png" in text
        assert text.count("mpbench advise") == 1
    present.plot(pred, [tmp_path / "f.png", tmp_path / "f.svg"], "en")
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG" and (tmp_path / "f.svg").stat().st_size > 1000


def test_custom_cells_take_the_users_bytes_and_kind_and_skip_unsized_ones():
    summary = synthetic_summaries()["custom"].assign(work_kind="read")
    cells = modelfit.custom_cells(summary)
    assert [(c["n"], c["workers"], c["kind"], c["a"], c["r"]) for c in cells] == [
        (48, 1, "read", 2048.0, 100.0),
        (48, 2, "read", 2048.0, 100.0),
    ]
    assert cells[0]["t"] == pytest.approx(0.004) and "skipped" not in cells[0]
    cells = modelfit.custom_cells(summary.assign(arg_bytes=float("nan")))
    assert all(c["skipped"] == modelfit.UNSIZED for c in cells)
