"""Machine facts: what the report prints next to every number."""

import subprocess

from mpbench import environment


def test_capture_records_commit_config_and_conditions(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "f.txt").write_text("x")
    subprocess.run(git + ["add", "f.txt"], check=True)
    subprocess.run(git + ["commit", "-qm", "x"], check=True)
    head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    env = environment.capture({"data": str(repo)}, str(repo), {"repeats": 6})
    assert env["git_commit"] == head and env["config"] == {"repeats": 6}
    (repo / "f.txt").write_text("changed")
    assert environment.capture(None, str(repo))["git_commit"] == head + "+changes"
    assert environment.git_commit(tmp_path / "not-a-repo") is None
    for key in (
        "host",
        "cpu_model",
        "logical_cores",
        "usable_cores",
        "memory_bytes",
        "python",
        "start_method",
        "start_methods_available",
        "cache_eviction",
        "filesystems",
        "packages",
    ):
        assert key in env
    assert env["filesystems"]["data"] != "unknown"


def test_recorded_cores_reads_what_the_environment_file_wrote(tmp_path):
    import json

    path = tmp_path / "environment.json"
    path.write_text(json.dumps(environment.capture()))
    assert environment.recorded_cores(path) == json.loads(path.read_text())["usable_cores"] >= 1


def test_usable_cores_honour_a_cgroup_cpu_quota(tmp_path):
    from mpbench.environment import cgroup_cpu_limit, steal_ticks, usable_cores

    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert cgroup_cpu_limit(tmp_path) == 1.5 and usable_cores(tmp_path) == min(2, usable_cores(tmp_path / "none"))
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert cgroup_cpu_limit(tmp_path) is None
    v1 = tmp_path / "v1"
    (v1 / "cpu").mkdir(parents=True)
    (v1 / "cpu" / "cpu.cfs_quota_us").write_text("100000")
    (v1 / "cpu" / "cpu.cfs_period_us").write_text("100000")
    assert cgroup_cpu_limit(v1) == 1.0 and usable_cores(v1) == 1
    ticks = steal_ticks()
    assert ticks is None or ticks >= 0
