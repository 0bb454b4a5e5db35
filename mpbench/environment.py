"""Facts about the machine that a reader needs to interpret a timing."""

from __future__ import annotations

import multiprocessing
import os
import platform
import socket
import sys
from importlib import metadata
from pathlib import Path


def hostname() -> str:
    """The name results are filed under: $MPBENCH_HOST when set (to tell apart
    two runs on one machine, or nodes that share a name), else the host name."""
    return os.environ.get("MPBENCH_HOST") or socket.gethostname()


def scheduler_facts() -> dict:
    """Where a job ran under a scheduler: the SLURM job id and node (None elsewhere)."""
    return {"slurm_job_id": os.environ.get("SLURM_JOB_ID"), "node": os.environ.get("SLURMD_NODENAME")}


def _cpuinfo() -> list[dict[str, str]]:
    """Parsed /proc/cpuinfo, one dict per logical CPU (empty off Linux)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    cpus = []
    for block in text.strip().split("\n\n"):
        entry = {}
        for line in block.splitlines():
            key, _, value = line.partition(":")
            entry[key.strip()] = value.strip()
        cpus.append(entry)
    return cpus


def cpu_model() -> str:
    for entry in _cpuinfo():
        for key in ("model name", "Model", "cpu model", "Processor"):
            if entry.get(key):
                return entry[key]
    return platform.processor() or platform.machine() or "unknown"


def physical_cores() -> int | None:
    """Distinct (package, core) pairs; None when the kernel does not say."""
    pairs = {(c.get("physical id"), c.get("core id")) for c in _cpuinfo() if "core id" in c}
    return len(pairs) or None


def recorded_cores(environment_json) -> int:
    """The usable cores an environment.json recorded (what tables and figures compare against)."""
    import json

    return int(json.loads(Path(environment_json).read_text())["usable_cores"])


def usable_cores() -> int:
    """Cores this process may run on (affinity / cgroup cpusets), else cpu_count."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def memory_bytes() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def filesystem_of(path: str | os.PathLike) -> str:
    """File system type of the mount that holds ``path`` (ext4, tmpfs, overlay...)."""
    target = os.path.realpath(path)
    while not os.path.exists(target):
        target = os.path.dirname(target)
    best, fstype = "", "unknown"
    try:
        for line in Path("/proc/mounts").read_text().splitlines():
            parts = line.split()
            if len(parts) < 3:
                continue
            mount = parts[1].replace("\\040", " ")
            inside = target == mount or target.startswith(mount.rstrip("/") + "/")
            if inside and len(mount) >= len(best):
                best, fstype = mount, parts[2]
    except OSError:
        pass
    return fstype


def _eviction() -> str:
    from . import cache

    if not cache.EVICTION_SUPPORTED:
        return "unsupported: this platform lacks os.posix_fadvise, so cache: cold cannot be measured"
    return f"supported ({cache.EVICTION_METHOD}); residency checked with mincore"


def git_commit(path: str | os.PathLike) -> str | None:
    """The project's commit (with "+changes" when the checkout differs from it), or None outside git."""
    import subprocess

    try:
        head = subprocess.run(["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(path), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")


def package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def capture(paths: dict[str, str] | None = None, project_dir: str | None = None, config: dict | None = None) -> dict:
    """Everything about this machine and Python worth printing next to a number.

    With ``project_dir`` the project's git commit is recorded, with
    ``config`` the full effective configuration.
    """
    uname = platform.uname()
    extra = {}
    if project_dir is not None:
        extra["git_commit"] = git_commit(project_dir)
    if config is not None:
        extra["config"] = config
    return {
        "host": hostname(),
        "cpu_model": cpu_model(),
        "logical_cores": os.cpu_count(),
        "usable_cores": usable_cores(),
        "physical_cores": physical_cores(),
        "memory_bytes": memory_bytes(),
        "os": f"{uname.system} {uname.release}",
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "python_build": " ".join(platform.python_build()),
        "start_method": multiprocessing.get_start_method(),
        "start_methods_available": multiprocessing.get_all_start_methods(),
        "cache_eviction": _eviction(),
        "filesystems": {name: filesystem_of(p) for name, p in (paths or {}).items()},
        "packages": {
            name: package_version(name)
            for name in ("snakemake", "pandas", "seaborn", "numpy", "matplotlib")
        },
        **extra,
    }
