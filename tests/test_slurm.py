"""The pipeline on a real single-node SLURM cluster, against the same config run locally.

.ci/slurm-up.sh installs SLURM from Debian's packages and starts munged,
slurmctld and slurmd on loopback; .ci/slurm-down.sh stops them by PID. Where
that cannot be done (no root, no apt-get) the test is skipped with the reason;
on a machine with root and apt-get a failed install fails the test (set
MPBENCH_SKIP_SLURM=1 to skip it on purpose, e.g. offline).
Every cluster run is bounded with ``timeout -k``: a stuck executor must never
stall CI.
"""

import os
import shutil
import subprocess
import sys

import pandas as pd
import pytest
from conftest import REPO

CONFIG = REPO / "tests" / "slurm.yaml"


@pytest.fixture(scope="module")
def slurm():
    if os.environ.get("MPBENCH_SKIP_SLURM") == "1":
        pytest.skip("MPBENCH_SKIP_SLURM=1: the SLURM test was switched off on purpose")
    if sys.platform != "linux":
        pytest.skip(f"SLURM test needs Linux, this is {sys.platform}")
    if os.geteuid() != 0:
        pytest.skip("SLURM test needs root to install and start SLURM (apt-get, munged, slurmctld, slurmd)")
    if shutil.which("apt-get") is None and shutil.which("slurmctld") is None:
        pytest.skip("SLURM test needs Debian's apt-get to install SLURM")
    pytest.importorskip("snakemake_executor_plugin_slurm", reason="snakemake-executor-plugin-slurm is not installed")
    up = subprocess.run(
        ["timeout", "-k", "10", "300", str(REPO / ".ci" / "slurm-up.sh")], capture_output=True, text=True
    )
    if up.returncode == 3:
        pytest.skip(f"SLURM could not be installed here: {up.stderr.strip()}")
    assert up.returncode == 0, f"slurm-up failed: {up.stderr[-2000:]}"
    try:
        yield up.stdout.split()
    finally:
        subprocess.run([str(REPO / ".ci" / "slurm-down.sh")], timeout=60)


def run(workdir, *args, timeout=600):
    cmd = [
        "timeout",
        "-k",
        "10",
        str(timeout),
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        *args,
        "--configfile",
        str(CONFIG),
    ]
    return subprocess.run(cmd, capture_output=True, text=True)


def test_the_pipeline_on_slurm_gives_what_a_local_run_gives(slurm, tmp_path):
    cluster, local = tmp_path / "cluster", tmp_path / "local"
    proc = run(cluster, "--workflow-profile", str(REPO / "profiles" / "slurm"))
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    assert "has been submitted with SLURM jobid" in proc.stdout + proc.stderr
    proc = run(local, "--cores", "2")
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]

    def outputs(root):
        return sorted(
            str(p.relative_to(root))
            for p in (root / "results").rglob("*")
            if p.is_file() and "logs" not in p.parts and "hosts" not in p.parts
        )

    assert outputs(cluster) == outputs(local)
    for name in ("read", "readwrite", "seed_vs_measured", "claims"):
        a = pd.read_csv(cluster / "results" / "summary" / f"{name}.csv")
        b = pd.read_csv(local / "results" / "summary" / f"{name}.csv")
        assert list(a.columns) == list(b.columns) and len(a) == len(b), name
    # every timed row says which SLURM job and node measured it; no two timed runs overlapped
    raw = pd.concat([pd.read_csv(f) for f in (cluster / "results" / "raw").glob("*/*.csv")])
    assert raw["slurm_job_id"].notna().all() and raw["node"].notna().all()
    assert pd.read_csv(next((local / "results" / "raw").glob("*/*.csv")))["slurm_job_id"].isna().all()
    spans = raw.sort_values("started_at")[["started_at", "ended_at"]].to_numpy()
    for (s1, e1), (s2, e2) in zip(spans, spans[1:]):
        assert e1 <= s2, "two timed runs overlapped on the node"


def test_a_failed_install_is_a_failure_where_root_and_apt_get_are_there(tmp_path):
    """slurm-up.sh says "skip" (exit 3) only without root or apt-get; an apt-get that fails
    is a failure (exit 4), which the fixture above turns into a failed test."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "apt-get").write_text("#!/bin/sh\necho 'E: Unable to locate package slurmctld' >&2\nexit 100\n")
    (fake / "apt-get").chmod(0o755)
    env = dict(os.environ, PATH=f"{fake}:/usr/bin:/bin")  # no /usr/sbin: no slurmctld already there
    up = subprocess.run(
        ["bash", str(REPO / ".ci" / "slurm-up.sh")], capture_output=True, text=True, env=env, timeout=60
    )
    if os.geteuid() == 0:
        assert up.returncode == 4, up.stderr
        assert "could not install slurm" in up.stderr and "failure, not a skip" in up.stderr
    else:
        assert up.returncode == 3 and "needs root" in up.stderr
