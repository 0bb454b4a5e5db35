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
    for key in ("host", "cpu_model", "logical_cores", "usable_cores", "memory_bytes", "python", "start_method",
                "start_methods_available", "cache_eviction", "filesystems", "packages"):
        assert key in env
    assert env["filesystems"]["data"] != "unknown"


def test_recorded_cores_reads_what_the_environment_file_wrote(tmp_path):
    import json

    path = tmp_path / "environment.json"
    path.write_text(json.dumps(environment.capture()))
    assert environment.recorded_cores(path) == json.loads(path.read_text())["usable_cores"] >= 1
