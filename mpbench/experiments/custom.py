"""custom (你自己的函数): your own function, measured as the built-in experiments are: the serial loop, a Pool of
every worker count and the other backends of the backends experiment, every run's results compared with the
serial loop's.

What it measures, how to point it at your own function and how to read it: docs/experiments/custom.md.
The section's functions are the user's code: they run only here, in the timed job (``check_config`` reads
their modules' source and never imports them), and each way they can fail stops the point with one line
(:class:`mpbench.timing.PointError`) that names the key, the function and what happened.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import multiprocessing
import os
import pickle
import re
import sys
from importlib.machinery import PathFinder
from pathlib import Path

from .. import timing
from ..environment import usable_cores
from ..plan import Units
from ..timing import PointError
from .backends import OWN_START, START_S, Work, missing, run_backend, version
from .common import run_variants

NAME = __name__.rsplit(".", 1)[-1]
#: The project directory: the one that holds mpbench/ and examples/ (and the Snakefile).
PROJECT = Path(__file__).resolve().parents[2]
#: sizes' value that passes no size: one point, the input maker's own defaults.
NO_SIZE = "default"
FORM = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*")
ALLOWED = (
    "allowed: 'module.path:function', a function defined at the top level of a module in the working "
    "directory, the project directory or the import path"
)
#: What one serial pass over a point's task arguments is assumed to take before anything ran (about the
#: example's): the budget split needs each point's cost before the jobs run, and the function's own time is
#: unknown until its job calls it. A slower function still gets its first repetitions and stops at its share
#: after them; the section's ``repeats`` sets its count instead (docs/experiments/custom.md).
SERIAL_GUESS_S = 0.2
#: The Pool's phases under the names the other backends' rows use.
PHASES = {"pool_start_seconds": "start_seconds", "map_seconds": "work_seconds", "pool_close_seconds": "stop_seconds"}


# Where the functions are, read without running them ---------------------------------------------------------


def search_path(workdir=None) -> list[str]:
    """Where the section's modules are found, in this order: the working directory, the project directory,
    then the import path."""
    return list(dict.fromkeys([str(Path(workdir or os.getcwd()).resolve()), str(PROJECT), *sys.path]))


def locate(module: str, path: list[str]):
    """The spec of ``module`` found without running any of its code: its top-level package on ``path`` (or
    by the import system's own finders: an installed package), each submodule in its parent's folders; None
    where it is not there."""
    top, *rest = module.split(".")
    spec = PathFinder.find_spec(top, path)
    if spec is None:
        try:
            spec = importlib.util.find_spec(top)  # a top-level name: nothing is imported to find it
        except (ImportError, ValueError):
            spec = None
    for part in rest:
        if spec is None or not spec.submodule_search_locations:
            return None
        spec = PathFinder.find_spec(f"{spec.name}.{part}", list(spec.submodule_search_locations))
    return spec


def definitions(source: str) -> dict[str, ast.AST] | None:
    """What a module's source defines at its top level (also inside a top-level if, try or with): each name
    and the statement that binds it first; None where it may bind names no reading can tell (a star import,
    a module ``__getattr__``)."""
    found: dict[str, ast.AST] = {}
    todo = list(ast.parse(source).body)
    while todo:
        node = todo.pop(0)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.setdefault(node.name, node)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            if any(alias.name == "*" for alias in node.names):
                return None
            for alias in node.names:
                found.setdefault(alias.asname or alias.name.split(".")[0], node)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for name in (n for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)):
                found.setdefault(name.id, node)
        else:  # a compound statement: the statements of its blocks
            todo += [c for f in ("body", "handlers", "orelse", "finalbody") for c in getattr(node, f, [])]
    return None if "__getattr__" in found else found


def definition(key: str, ref: str, path: list[str]) -> ast.AST | None:
    """Check ``custom.<key> = ref`` without importing it: its form, that its module is there and,
    where the module's source is a .py file, that it defines the function at its top level. Returns the
    statement that defines the function (None where it was not read)."""
    where = f"config: {NAME}.{key} = {ref!r}"
    if not FORM.fullmatch(ref):
        raise ValueError(f"{where} is not of the form module.path:function; {ALLOWED}")
    module, function = ref.split(":")
    spec = locate(module, path)
    if spec is None:
        raise ValueError(
            f"{where}: no module {module} in the working directory ({path[0]}), the project directory or the "
            f"import path; {ALLOWED}"
        )
    origin = spec.origin or ""
    if not origin.endswith(".py"):  # built in, compiled or a namespace package: found out at its first point
        return None
    try:
        defined = definitions(Path(origin).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError) as err:
        raise ValueError(f"{where}: {origin} cannot be read as Python ({type(err).__name__}: {err})") from err
    if defined is not None and function not in defined:
        functions = sorted(n for n, node in defined.items() if isinstance(node, ast.FunctionDef))
        raise ValueError(
            f"{where}: {origin} defines no {function} at its top level; allowed: one of its functions "
            f"({', '.join(functions) or 'it defines none'})"
        )
    return (defined or {}).get(function)


def check_config(section: dict, cfg: dict, workdir=None) -> None:
    """What can be checked before anything runs, without running the section's code (importing a module
    runs it): each function's form, its module, its definition (:func:`definition`), and that the input
    maker takes the keyword arguments it will get. Raises ValueError naming the key. Without a working
    directory the config is read for no run (an installed package, which has neither the pipeline nor the
    example): there is nothing to look for."""
    if workdir is None:
        return
    path = search_path(workdir)
    for key in ("workload", "check"):
        if key == "workload" or section[key]:  # check: "" compares by ==
            definition(key, section[key], path)
    node = definition("inputs", section["inputs"], path)
    given = {k: f"{NAME}.input_kwargs.{k}" for k in section["input_kwargs"]}
    if section["sizes"] != NO_SIZE:
        if "size" in given:
            raise ValueError(f"config: {NAME}.input_kwargs.size is given by {NAME}.sizes too; allowed: one of the two")
        given["size"] = f"{NAME}.sizes (each passed as size=)"
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node.args.kwarg is not None:
        return  # not a plain def, or it takes any keyword
    takes = [a.arg for a in (*node.args.args, *node.args.kwonlyargs)]
    for word, key in given.items():
        if word not in takes:
            raise ValueError(
                f"config: {key}: {section['inputs']} takes no keyword argument {word}; allowed: its "
                f"parameters ({', '.join(takes) or 'none'})"
            )


# The point -------------------------------------------------------------------------------------------------


def importable() -> None:
    """The working directory and the project directory first on this process's import path, and on
    PYTHONPATH for the processes it starts (spawned and forkserver children get the path; Dask's and Ray's
    workers are started by exec and read the variable)."""
    dirs = search_path()[:2]
    sys.path[:0] = [d for d in dirs if d not in sys.path]
    known = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys([*dirs, *filter(None, known)]))


def one_line(err: BaseException) -> str:
    """An exception as one line: its type and its message's first line."""
    text = str(err).strip()
    return f"{type(err).__name__}: {text.splitlines()[0]}" if text else type(err).__name__


def short(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def load(section: dict, key: str):
    """The function ``section[key]`` names, imported (importing runs its module: only in the timed job)."""
    ref = section[key]
    module, function = ref.split(":")
    try:
        fn = getattr(importlib.import_module(module), function)
    except Exception as err:
        raise PointError(f"{NAME}.{key}: importing {ref} failed: {one_line(err)}") from err
    if not callable(fn):
        raise PointError(f"{NAME}.{key}: {ref} is a {type(fn).__name__}, not a function")
    return fn


def make_items(section: dict, size) -> list:
    """The point's task arguments: one call of the input maker."""
    kwargs = {**section["input_kwargs"], **({} if size == NO_SIZE else {"size": size})}
    call = f"{section['inputs']}({', '.join(f'{k}={short(v)}' for k, v in kwargs.items())})"
    try:
        made = load(section, "inputs")(**kwargs)
    except PointError:
        raise
    except Exception as err:
        raise PointError(f"{NAME}.inputs: {call} raised {one_line(err)}") from err
    try:
        items = list(made)
    except TypeError:
        raise PointError(f"{NAME}.inputs: {call} returned {short(made)}; allowed: a list of task arguments") from None
    if not items:
        raise PointError(f"{NAME}.inputs: {call} returned no task arguments; allowed: a list of at least one")
    return items


def backend_workers(workers, cores: int) -> int:
    """The worker count the other backends run with: the largest of ``workers`` not above ``cores``, else the
    smallest."""
    below = [w for w in workers if w <= cores]
    return max(below) if below else min(workers)


def run(point: dict, section: dict, *, repeats, warmup: int, scratch_dir: str | None = None) -> list[dict]:
    importable()
    size, ref = point["size"], section["workload"]
    items = make_items(section, size)
    fn = load(section, "workload")
    agree = load(section, "check") if section["check"] else None
    start_method, cores = multiprocessing.get_start_method(), usable_cores()
    others = backend_workers(section["workers"], cores)
    skipped = {b: why for b in section["backends"] if (why := missing(b))}
    pools = {f"pool{w}": w for w in section["workers"]}
    names = ["serial", *pools, *(b for b in section["backends"] if b not in skipped)]
    label = f"{NAME} size={size}"

    expected: list = []

    def first(i: int) -> None:  # untimed: the serial loop once, what every run must return
        try:
            expected.append(fn(items[i]))
        except Exception as err:
            raise PointError(
                f"{NAME}.workload: {ref}({short(items[i])}) raised {one_line(err)} (task {i} of {len(items)})"
            ) from err

    inner = timing.inner_loops(first, len(items))
    sizes = {"arg_bytes": pickled_bytes(items), "result_bytes": pickled_bytes(expected), "work_kind": section["kind"]}

    def measure(variant: str) -> tuple[dict, list]:
        try:
            if variant == "serial":
                times, result = timing.time_serial(lambda i: fn(items[i]), len(items), inner)
                facts = {"backend": "serial", "workers": 1, "start_method": "none", "backend_version": "stdlib"}
            elif variant in pools:
                times, result = timing.time_pool(fn, items, pools[variant], label=f"{label} {variant}")
                times = {PHASES.get(k, k): v for k, v in times.items()}
                facts = {"backend": "pool", "workers": pools[variant], "start_method": start_method}
                facts["backend_version"] = "stdlib"
            else:
                times, result = run_backend(variant, Work(fn, items), others, start_method)
                how = OWN_START.get(variant, start_method)
                facts = {
                    "backend": variant,
                    "workers": others,
                    "start_method": how,
                    "backend_version": version(variant),
                }
        except PointError:
            raise
        except Exception as err:
            raise PointError(f"{NAME}.workload: {ref} failed in {variant}: {one_line(err)}") from err
        skip = "; ".join(f"{b}: {why}" for b, why in skipped.items())
        return {
            **times,
            **facts,
            "tasks": len(items),
            "usable_cores": cores,
            "skipped": skip,
            "workload": ref,
            **sizes,
        }, result

    def check(variant: str, result: list) -> None:
        if agree is not None:
            try:
                same = agree(expected, result)
            except Exception as err:
                raise PointError(
                    f"{NAME}.check: {section['check']} raised {one_line(err)} on {variant}'s results"
                ) from err
            if not same:
                raise PointError(
                    f"{NAME}.check: {section['check']} says {variant}'s results differ from the serial loop's (size {size})"
                )
            return
        try:
            same = bool(result == expected)
        except Exception as err:
            raise PointError(
                f"{NAME}: {variant}'s results cannot be compared with the serial loop's by == ({one_line(err)}); "
                f"allowed: {NAME}.check naming a function that compares them"
            ) from err
        if not same:
            raise PointError(
                f"{NAME}: {variant}'s results differ from the serial loop's: {difference(result, expected)}"
            )

    settings = {k: v for k, v in section.items() if k not in ("enabled", "sizes")}
    return run_variants(NAME, point, measure, check, repeats, warmup, names=names, settings=settings)


#: How many of a point's task arguments (and results) are pickled to size them: evenly spaced, untimed.
SIZE_SAMPLE = 64


def pickled_bytes(values: list) -> float:
    """The mean pickled size of one task argument or result, in bytes, from up to :data:`SIZE_SAMPLE` of them
    (what Pool.map sends through its pipes; the cost model's a and r, docs/model.md); NaN for a value that
    cannot be pickled (the Pool run then fails with its own line)."""
    step = max(1, len(values) // SIZE_SAMPLE)
    sample = values[::step][:SIZE_SAMPLE]
    try:
        return sum(len(pickle.dumps(v, pickle.HIGHEST_PROTOCOL)) for v in sample) / max(1, len(sample))
    except Exception:
        return float("nan")


def difference(result: list, expected: list) -> str:
    """Where two lists of results first differ, in words, and what to do about it."""
    i = next((i for i, (a, b) in enumerate(zip(result, expected)) if a != b), min(len(result), len(expected)))
    got = short(result[i], 40) if i < len(result) else "nothing"
    want = short(expected[i], 40) if i < len(expected) else "nothing"
    return (
        f"{len(result)} results for {len(expected)} tasks, first different at task {i} ({got}, serially {want}); "
        f"allowed: a workload that returns the same for the same argument, or {NAME}.check naming a function "
        "that says when results agree"
    )


def cost(point: dict, section: dict, u: Units) -> float:
    """One repetition, from :data:`SERIAL_GUESS_S`: the serial loop, every Pool and every other backend."""
    serial, w = SERIAL_GUESS_S, backend_workers(section["workers"], u.cores)
    pools = sum(u.pool + serial / min(p, u.cores) for p in section["workers"])
    return serial + pools + sum(u.pool + START_S.get(b, 0.0) + serial / min(w, u.cores) for b in section["backends"])
