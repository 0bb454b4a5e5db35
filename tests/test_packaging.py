"""The package installs with its schemas and data, and the conda env lists what requirements.txt does."""

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

from mpbench import experiments

REPO = Path(__file__).resolve().parent.parent
#: What only the Snakemake driver needs, not the rules' environment.
DRIVER_ONLY = {"snakemake", "pygments"}
#: conda-forge's packages without GUI toolkits and their extras.
BASE = {"matplotlib-base": "matplotlib", "seaborn-base": "seaborn"}


def requirements(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            name, spec = re.match(r"([A-Za-z0-9_.-]+)\s*(.*)", line).groups()
            out[name.lower()] = spec.replace(" ", "")
    return out


def test_the_conda_env_lists_what_requirements_txt_does_with_the_base_packages():
    env = yaml.safe_load((REPO / "envs" / "mpbench.yaml").read_text(encoding="utf-8"))
    deps = [dep for dep in env["dependencies"] if isinstance(dep, str) and dep != "pip"]
    pip = [line for dep in env["dependencies"] if isinstance(dep, dict) for line in dep["pip"]]
    names = [dep.split()[0] for dep in deps]
    conda = {BASE.get(dep.split()[0], dep.split()[0]): "".join(dep.split()[1:]) for dep in deps}
    for line in pip:  # PyPI's own spelling: name==version
        name, spec = re.match(r"([A-Za-z0-9_.-]+)\s*(.*)", line).groups()
        conda[name.lower()] = spec.replace(" ", "")
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert conda.pop("python") == project["requires-python"]
    wanted = {name: spec for name, spec in requirements(REPO / "requirements.txt").items() if name not in DRIVER_ONLY}
    assert conda == wanted
    assert set(BASE) <= set(names) and not set(BASE.values()) & set(names)


def test_pip_install_puts_the_package_with_its_schemas_and_data_in_place(tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(REPO),
        ],
        check=True,
        cwd=tmp_path,
    )
    code = (
        "import mpbench, mpbench.config as c, mpbench.post as s, mpbench.experiments as e; "
        "c.validate_config({}); print(mpbench.__file__); print(s.DATA.is_file(), len(e.NAMES))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(target)},
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\n")
    assert out[0].startswith(str(target))  # the installed copy, not the checkout
    assert out[1] == f"True {len(experiments.NAMES)}"  # every experiment and the post's tables came along
    installed = {p.name for p in (target / "mpbench" / "schemas" / "experiments").glob("*.schema.yaml")}
    assert installed == {p.name for p in (REPO / "mpbench" / "schemas" / "experiments").glob("*.schema.yaml")}
