"""Facts about the machine that a reader needs to interpret a timing."""

from __future__ import annotations

import math
import multiprocessing
import os
import platform
import socket
import sys
import time
from importlib import metadata
from pathlib import Path


def hostname() -> str:
    """The name results are filed under: $MPBENCH_HOST when set (to tell apart
    two runs on one machine, or nodes that share a name), else the host name."""
    return os.environ.get("MPBENCH_HOST") or socket.gethostname()


def scheduler_facts() -> dict:
    """Where a job ran under a scheduler: the SLURM job id and node (None elsewhere)."""
    return {"slurm_job_id": os.environ.get("SLURM_JOB_ID"), "node": os.environ.get("SLURMD_NODENAME")}


def _read(path: str) -> str:
    """The text of a system file, or "" where this platform has none."""
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _cpuinfo() -> list[dict[str, str]]:
    """Parsed /proc/cpuinfo, one dict per logical CPU (empty off Linux)."""
    cpus = []
    for block in filter(None, _read("/proc/cpuinfo").strip().split("\n\n")):
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


def cgroup_cpu_limit(root: str | os.PathLike = "/sys/fs/cgroup") -> float | None:
    """The CPU quota of this process's cgroup in cores (quota / period), or None
    without one: cgroup v2 ``cpu.max`` ("200000 100000"; "max ..." is none),
    else cgroup v1 ``cpu/cpu.cfs_quota_us`` / ``cpu.cfs_period_us`` (-1 is none)."""
    root = Path(root)
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        quota = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period = int((root / "cpu" / "cpu.cfs_period_us").read_text())
        return None if quota <= 0 or period <= 0 else quota / period
    except (OSError, ValueError):
        return None


def usable_cores(cgroup_root: str | os.PathLike = "/sys/fs/cgroup") -> int:
    """Cores this process may use: those it may run on (affinity, cpusets), fewer
    when its cgroup has a CPU quota (a container limited to 1.5 CPUs of 16 gets
    2: the quota rounded up), else cpu_count."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    limit = cgroup_cpu_limit(cgroup_root)
    return max(1, min(cores, math.ceil(limit - 1e-9))) if limit else cores


def machine_state(samples: int = 5, pause: float = 0.01) -> dict:
    """Is the machine quiet right now?  The 1-minute load, the other runnable tasks (the median of ``samples``
    looks), the median core frequency, cpu0's governor and the hypervisor's steal so far, in clock ticks
    (docs/method.md); on Linux, missing facts are None."""
    load = _read("/proc/loadavg").split()
    running = []
    for k in range(samples):
        stat = _proc_stat()
        if "procs_running" in stat:
            running.append(int(stat["procs_running"][0]) - 1)
        if k + 1 < samples:
            time.sleep(pause)
    steal = steal_ticks()
    mhz = []
    for f in Path("/sys/devices/system/cpu").glob("cpu[0-9]*/cpufreq/scaling_cur_freq"):
        try:
            mhz.append(int(f.read_text()) / 1000)
        except (OSError, ValueError):
            pass
    if not mhz:
        mhz = [float(c["cpu MHz"]) for c in _cpuinfo() if "cpu MHz" in c]
    return {
        "load_1m": float(load[0]) if load else None,
        "others_runnable": sorted(running)[len(running) // 2] if running else None,
        "cpu_mhz": sorted(mhz)[len(mhz) // 2] if mhz else None,
        "governor": _read("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor").strip() or None,
        "steal": steal,
    }


def steal_ticks() -> int | None:
    """CPU time stolen by the hypervisor so far, all cores, in clock ticks (``/proc/stat``)."""
    cpu = _proc_stat().get("cpu")
    return int(cpu[7]) if cpu and len(cpu) > 7 else None


def _proc_stat() -> dict[str, list[str]]:
    lines = (line.split() for line in _read("/proc/stat").splitlines())
    return {parts[0]: parts[1:] for parts in lines if parts}


def memory_bytes() -> int | None:
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    return None


def filesystem_of(path: str | os.PathLike) -> str:
    """File system type of the mount that holds ``path`` (ext4, tmpfs, overlay...)."""
    target = os.path.realpath(path)
    while not os.path.exists(target):
        target = os.path.dirname(target)
    best, fstype = "", "unknown"
    for line in _read("/proc/mounts").splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        mount = parts[1].replace("\\040", " ")
        inside = target == mount or target.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) >= len(best):
            best, fstype = mount, parts[2]
    return fstype


def _eviction() -> str:
    from . import cache

    if not cache.EVICTION_SUPPORTED:
        return "unsupported: this platform lacks os.posix_fadvise, so cache: cold cannot be measured"
    return f"supported ({cache.EVICTION_METHOD}); residency checked with mincore"


def git_commit(path: str | os.PathLike) -> str | None:
    """The project's commit (with "+changes" when the checkout differs from it), or None outside git."""
    import subprocess

    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "-C", str(path), *args], capture_output=True, text=True, timeout=10)

    try:
        head = git("rev-parse", "HEAD")
        if head.returncode != 0:
            return None
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")


#: The packages whose versions environment.json records: the pipeline's and the backends of ``backends``.
PACKAGES = "snakemake pandas seaborn numpy matplotlib joblib mpire multiprocess dask distributed ray".split()


def package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def capture(paths: dict[str, str] | None = None, project_dir: str | None = None, config: dict | None = None) -> dict:
    """Everything about this machine and Python worth printing next to a number; with ``project_dir`` the
    project's git commit too, with ``config`` the full effective configuration."""
    uname = platform.uname()
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
        "packages": {name: package_version(name) for name in PACKAGES},
        **({"git_commit": git_commit(project_dir)} if project_dir is not None else {}),
        **({"config": config} if config is not None else {}),
    }
