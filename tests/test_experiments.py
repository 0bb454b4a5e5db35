"""Every experiment module has the shape the pipeline relies on, and a config section."""

import re
import sys

import pytest
from conftest import REPO

from mpbench import experiments
from mpbench.config import load_schema, validate_config

SCHEMA = load_schema()


def test_every_experiment_module_has_a_schema_and_back():
    fragments = {p.name.split(".")[0] for p in (REPO / "mpbench" / "schemas" / "experiments").glob("*.schema.yaml")}
    assert fragments == set(experiments.ALL)
    # the appendix first, then the post's sections in the post's order, then the measurement conditions
    specs = experiments.registry()
    assert [specs[n].group for n in experiments.ALL] == sorted(
        (s.group for s in specs.values()), key=experiments.GROUPS.index
    )


@pytest.mark.parametrize("name", experiments.NAMES)
def test_module_interface_and_default_points(name, tmp_path):
    assert callable(experiments.get(name).run), f"{name} lacks run"
    for attr in ("summarize", "table", "plot", "findings"):
        assert callable(getattr(experiments.present(name), attr, None)), f"mpbench/present/{name}.py lacks {attr}"
    cfg = validate_config({}, SCHEMA, workdir=tmp_path)
    assert cfg[name]["enabled"] is True
    points = experiments.points(name, cfg[name])
    assert points, "the default config measures something"
    ids = [experiments.point_id(p) for p in points]
    assert len(set(ids)) == len(ids)
    assert all(experiments.find_point(name, cfg[name], i) == p for i, p in zip(ids, points))


@pytest.mark.parametrize("name", experiments.NAMES)
def test_each_experiment_can_be_switched_off(name, tmp_path):
    cfg = validate_config({name: {"enabled": False}}, SCHEMA, workdir=tmp_path)
    assert cfg[name]["enabled"] is False


def test_unknown_key_in_an_experiment_section_is_refused(tmp_path):
    from mpbench.config import ConfigError

    name = experiments.NAMES[0]
    with pytest.raises(ConfigError, match=f"unknown key '{name}.enabeld'"):
        validate_config({name: {"enabeld": False}}, SCHEMA, workdir=tmp_path)


def test_point_id():
    assert experiments.point_id({"kind": "cpu", "workers": 4}) == "kindcpu_workers4"
    with pytest.raises(ValueError, match="unknown experiment"):
        experiments.get("nope")


@pytest.mark.filterwarnings('ignore:Argument "writer_name":PendingDeprecationWarning')
@pytest.mark.parametrize("figure", experiments.FIGURES)
def test_caption_renders_as_rst(figure, tmp_path):
    """Each figure's caption (the "Reading the figure" section of its experiment's docs page,
    or its item of "Reading the figures", shown under it in the HTML report) is valid
    reStructuredText once its Jinja is rendered: docutils stops at any warning."""
    import types

    import jinja2
    from docutils.core import publish_parts

    name = experiments.FIGURES[figure]
    caption = experiments.caption(name, figure=figure)
    assert caption.strip(), f"{name} has no caption"
    cfg = validate_config({}, SCHEMA, workdir=tmp_path)
    text = jinja2.Template(caption, undefined=jinja2.StrictUndefined).render(
        snakemake=types.SimpleNamespace(config=cfg)
    )
    assert text.strip()
    # an indented line would turn into a block quote or a definition list without a warning
    assert not any(line[:1].isspace() for line in text.splitlines()), f"{name}: indented line in its caption"
    publish_parts(text, writer_name="html", settings_overrides={"report_level": 2, "halt_level": 2})


def point_script(name, tmp_path, data_file, start_method, scratch) -> str:
    """Python source that runs the first point of experiment ``name`` of tests/tiny.yaml once, under
    ``start_method``, in a fresh interpreter (the caller appends what to print)."""
    import json

    import yaml

    cfg = validate_config(yaml.safe_load((REPO / "tests" / "tiny.yaml").read_text()), SCHEMA, workdir=tmp_path)
    return f"""
import json, os, sys
sys.path.insert(0, {str(REPO)!r})
import multiprocessing
multiprocessing.set_start_method({start_method!r}, force=True)
from mpbench import experiments
section = json.loads({json.dumps(json.dumps(experiments.section(name, cfg)))})
module = experiments.get({name!r})
point = experiments.points({name!r}, section)[0]
extra = {{"data_file": {data_file!r}}} if experiments.spec({name!r}).needs_data else {{}}
if experiments.spec({name!r}).file_conditions:
    extra["base"] = {{"start_method": {start_method!r}, "chunksize": "default", "cache": "warm", "fsync": False}}
rows = module.run(point, section, repeats=1, warmup=0, scratch_dir={str(scratch)!r}, **extra)
assert rows
"""


#: What a timed job may import besides the standard library: numpy only where the workload is numpy.
TIMED_MAY_IMPORT = {"shared_memory": {"numpy"}, "backends": {"numpy"}}
#: What backends' module may import beyond that, inside the functions that start them: the backends it times.
BACKENDS_IMPORT = {"joblib", "mpire", "multiprocess", "distributed", "ray"}
#: What the processes those backends start import of the banned list themselves: Dask's and Ray's config readers.
BACKEND_CHILDREN_IMPORT = {"yaml", "jsonschema"}
#: The package's modules a measurement module may import: what runs inside a timed region.
MEASUREMENT = {
    "cache",
    "environment",
    "fileio",
    "plan",
    "poolstart",
    "precision",
    "rawio",
    "runner",
    "tasks",
    "timing",
    "workloads",
    "experiments.common",
    "experiments.backends",  # custom runs its backends through backends' (standard library at its top)
}


@pytest.mark.parametrize("name", experiments.ALL)
def test_a_measurement_module_imports_only_what_it_times(name):
    """Read, not run: every import of mpbench/experiments/<name>.py (at the top or inside a function but
    check_config) is the standard library, the package's measurement modules, or numpy where the workload is numpy."""
    import ast

    path = REPO / "mpbench" / "experiments" / f"{name}.py"
    stdlib = sys.stdlib_module_names
    bad = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    # check_config runs when the config is checked, never in a timed job: it may import the config's helpers.
    checks = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "check_config"]
    tree.body = [n for n in tree.body if n not in checks]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.ImportFrom):
            base = "experiments." if node.level == 1 else ""
            names = (
                [base + (node.module or a.name) for a in node.names] if node.module is None else [base + node.module]
            )
            bad += [n for n in names if n.removeprefix("experiments.") != name and n not in MEASUREMENT]
            continue
        else:
            continue
        allowed = TIMED_MAY_IMPORT.get(name, set()) | (BACKENDS_IMPORT if name == "backends" else set())
        bad += [n for n in names if n.split(".")[0] not in stdlib and n.split(".")[0] not in allowed]
    assert not bad, f"mpbench/experiments/{name}.py imports {bad}: presentation belongs in mpbench/present/{name}.py"


@pytest.mark.parametrize("name", experiments.ALL)
def test_a_timed_point_imports_no_pandas_or_plotting(name, tmp_path, data_file):
    """A parent that has imported pandas forks slower (a Pool start took about twice as long),
    so the process that times a point must not import it - nor numpy where the work is not numpy,
    nor the plotting libraries."""
    import json
    import subprocess
    import sys

    code = point_script(name, tmp_path, data_file, "fork", tmp_path) + (
        'print(json.dumps(sorted(m for m in ("pandas", "numpy", "matplotlib", "seaborn", "scipy") '
        "if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert loaded <= TIMED_MAY_IMPORT.get(name, set()), f"{name}'s timed run imported {sorted(loaded)}"


#: Beside pandas and the plotting libraries, what a worker must not import: the config's
#: parsers and the pipeline's own runner.
CHILD_MUST_NOT_IMPORT = ("pandas", "numpy", "matplotlib", "seaborn", "scipy", "jsonschema", "yaml", "snakemake")

#: Imports to watch, per process: a site hook that every child started with spawn or
#: forkserver runs (they inherit PYTHONPATH), writing what it imports of the list above.
WATCH_IMPORTS = """
import os, sys
_dir = os.environ.get("MPBENCH_WATCH_IMPORTS")
if _dir:
    _banned = set(os.environ["MPBENCH_WATCH_BANNED"].split(","))
    _path = os.path.join(_dir, str(os.getpid()))
    open(_path, "a").close()

    def _watch(event, args, _banned=_banned, _path=_path):
        if event == "import" and str(args[0]).split(".")[0] in _banned:
            with open(_path, "a") as fh:
                fh.write(str(args[0]) + "\\n")

    sys.addaudithook(_watch)
"""


@pytest.mark.parametrize("name", experiments.ALL)
def test_spawned_workers_import_only_what_they_time(name, tmp_path, data_file):
    """Under spawn every child imports the module of the function it runs before running it,
    inside the timed start-up: no child of any experiment may import pandas, numpy (except
    where the work is numpy), the plotting libraries, the config's parsers or Snakemake."""
    import os
    import subprocess
    import sys

    hook, seen = tmp_path / "hook", tmp_path / "seen"
    hook.mkdir()
    seen.mkdir()
    (hook / "sitecustomize.py").write_text(WATCH_IMPORTS)
    (tmp_path / "scratch").mkdir()
    code = point_script(name, tmp_path, data_file, "spawn", tmp_path / "scratch") + "print(os.getpid())\n"
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(hook), os.environ.get("PYTHONPATH", "")]),
        MPBENCH_WATCH_IMPORTS=str(seen),
        MPBENCH_WATCH_BANNED=",".join(CHILD_MUST_NOT_IMPORT),
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    parent = out.stdout.strip().splitlines()[-1]
    children = {p.name: set(p.read_text().split()) for p in seen.iterdir() if p.name != parent}
    assert children, f"{name}: no child process was seen, so the watch proves nothing"
    allowed = TIMED_MAY_IMPORT.get(name, set()) | (BACKEND_CHILDREN_IMPORT if name == "backends" else set())
    bad = {pid: sorted(m for m in mods if m.split(".")[0] not in allowed) for pid, mods in children.items()}
    bad = {pid: mods for pid, mods in bad.items() if mods}
    assert not bad, (
        f"{name}: {len(bad)} of {len(children)} spawned children imported {sorted(set().union(*map(set, bad.values())))[:8]}"
    )


def _fragment(tmp_path, name, spec_text):
    """A schema fragment, a measurement module and a presentation module in folders of their own."""
    specs, modules, present = tmp_path / "specs", tmp_path / "modules", tmp_path / "present"
    for folder in (specs, modules, present):
        folder.mkdir(exist_ok=True)
    (specs / f"{name}.schema.yaml").write_text(spec_text + "type: object\n", encoding="utf-8")
    (modules / f"{name}.py").write_text("", encoding="utf-8")
    (present / f"{name}.py").write_text("", encoding="utf-8")
    return specs, modules, present


GOOD = """x-experiment:
  title: A test
  group: post
  order: 1
  axes:
    - {key: sizes, field: size}
    - {key: workers}
"""


def test_a_spec_declares_the_axes_and_the_points_follow_from_them(tmp_path):
    found = experiments.collect(*_fragment(tmp_path, "demo", GOOD))
    spec = found["demo"]
    assert spec.sweep == ("sizes", "workers") and not spec.needs_data
    assert spec.points({"sizes": [1, 2], "workers": 4}) == [{"size": 1, "workers": 4}, {"size": 2, "workers": 4}]


@pytest.mark.parametrize(
    "text, message",
    [
        ("type: object\n", "demo.schema.yaml: x-experiment is missing"),
        (GOOD + "  colour: red\n", "x-experiment.colour is not a field"),
        (GOOD.replace("group: post", "group: misc"), "x-experiment.group = 'misc'; allowed: appendix, post, condition"),
        (GOOD + "  needs: [gpu]\n", "x-experiment.needs = ['gpu']; allowed: any of test_file, file_conditions"),
        (GOOD.replace("  order: 1\n", ""), "x-experiment.order is missing"),
    ],
)
def test_a_faulty_spec_is_refused_with_the_file_and_field(tmp_path, text, message):
    with pytest.raises(experiments.SpecError, match=re.escape(message)):
        experiments.collect(*_fragment(tmp_path, "demo", text))


def test_a_module_without_a_spec_or_a_spec_without_a_module_is_refused(tmp_path):
    specs, modules, present = _fragment(tmp_path, "demo", GOOD)
    (modules / "orphan.py").write_text("", encoding="utf-8")
    with pytest.raises(experiments.SpecError, match="orphan"):
        experiments.collect(specs, modules, present)
    (modules / "orphan.py").unlink()
    (present / "demo.py").unlink()
    with pytest.raises(experiments.SpecError, match="mpbench/present/ and a schema fragment: demo"):
        experiments.collect(specs, modules, present)
    (present / "demo.py").write_text("", encoding="utf-8")
    (modules / "demo.py").unlink()
    with pytest.raises(experiments.SpecError, match="demo"):
        experiments.collect(specs, modules, present)
