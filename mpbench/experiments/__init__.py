"""The experiments, found by the registry: each is its schema fragment (its config section and, under
``x-experiment``, its :class:`Spec`), its measurement and presentation modules and its page, as
docs/adding-an-experiment.md says.  With ``needs: [test_file]`` its ``run`` also gets ``data_file=<path>``,
with ``needs: [file_conditions]`` ``base=`` the appendix tables' conditions (start_method, chunksize, cache,
fsync).  The specs are read lazily (``NAMES``, :func:`spec`), so a process that imports one experiment's
worker functions does not parse YAML.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field, fields
from importlib import import_module
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
PRESENT = HERE.parent / "present"
SPECS = HERE.parent / "schemas" / "experiments"
#: Modules of these folders that are not experiments: shared helpers, and the cost model's presentation
#: (present/model.py; docs/model.md).
HELPERS = {"common", "levels", "model"}
GROUPS = ("appendix", "post", "condition")  # the appendix, the post's other sections, the measurement conditions
NEEDS = ("test_file", "file_conditions")
PRESETS = ("quick", "tiny")
AXIS_KEYS = {"key", "field", "convert", "values", "files"}  # what an axis of a spec may say
#: How an axis may turn a config value into a point's value.
CONVERSIONS = {"kib": lambda mib: max(1, int(round(float(mib) * 1024)))}  # MiB -> whole KiB, at least 1


class SpecError(ValueError):
    """An experiment's spec that the registry refuses; str() names the file and the field."""


@dataclass(frozen=True)
class Axis:
    """A key of the section whose values are points: one timed job per value
    (per combination of values, over all axes)."""

    key: str = ""  # the config key that lists the values (a single value is one point)
    field: str = ""  # the point's field (default: the key)
    convert: str = ""  # a name of CONVERSIONS applied to each value; the values are then sorted
    values_: tuple = ()  # fixed values, for an axis that no config key sets (``values`` in the spec)
    files: bool = False  # each value names files of its own: a raw folder, a summary and a table

    @property
    def name(self) -> str:
        return self.field or self.key

    def values(self, section: dict, experiment: str) -> list:
        if self.values_:
            return list(self.values_)
        raw = section[self.key]
        values = list(raw) if isinstance(raw, (list, tuple)) else [raw]
        if self.convert:
            values = sorted(CONVERSIONS[self.convert](v) for v in values)
            if len(set(values)) != len(values):
                raise ValueError(f"{experiment}.{self.key} {raw} give the same point twice: {values}")
        return values


@dataclass(frozen=True)
class Spec:
    """What an experiment is (read from its schema fragment's ``x-experiment``)."""

    name: str
    title: str
    group: str
    order: int
    axes: tuple[Axis, ...]
    needs: tuple[str, ...] = ()
    #: Section values per preset (``quick``, ``tiny``), applied by mpbench.config.apply_preset.
    presets: dict = field(default_factory=dict, compare=False, hash=False)
    #: Top-level config keys that are its section (it has none of its own and always runs).
    top_level: tuple[str, ...] = ()
    #: Its figures' names, when not its own name (each drawn from all its tables' summaries).
    figures: tuple[str, ...] = ()
    #: Experiments whose summaries its figures also draw on, when they run.
    uses: tuple[str, ...] = ()

    @property
    def sweep(self) -> tuple[str, ...]:
        """The section's keys that add or drop points; every other key changes how each point is measured."""
        return tuple(axis.key for axis in self.axes if axis.key)

    @property
    def split(self) -> Axis | None:
        """The axis whose values name tables of their own (``files: true``), if any."""
        return next((axis for axis in self.axes if axis.files), None)

    @property
    def tables(self) -> tuple[str, ...]:
        """Its tables: one raw folder, summary and table each (its name, or the values of its split axis)."""
        return tuple(self.split.values_) if self.split else (self.name,)

    @property
    def figure_names(self) -> tuple[str, ...]:
        return self.figures or (self.name,)

    def section(self, config: dict) -> dict:
        """Its section of an effective config: its own, or the top-level keys it reads."""
        if self.top_level:
            return {"enabled": True, **{key: config[key] for key in self.top_level}}
        return config[self.name]

    def job(self, point: dict) -> tuple[str, str]:
        """The table a point belongs to and its id there (the split axis names the table, not the id)."""
        if self.split is None:
            return self.name, point_id(point)
        return str(point[self.split.name]), point_id({k: v for k, v in point.items() if k != self.split.name})

    @property
    def needs_data(self) -> bool:
        return "test_file" in self.needs

    @property
    def file_conditions(self) -> bool:
        return "file_conditions" in self.needs

    def points(self, section: dict) -> list[dict]:
        """Every combination of the axes' values, the first axis outermost."""
        lists = [[(axis.name, v) for v in axis.values(section, self.name)] for axis in self.axes]
        return [dict(combo) for combo in itertools.product(*lists)]


def _spec(path: Path) -> Spec:
    import yaml

    where = f"{path.name}: x-experiment"
    raw = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("x-experiment")
    if not isinstance(raw, dict):
        raise SpecError(f"{where} is missing; every experiment declares its spec there")
    known = {f.name for f in fields(Spec)} - {"name"}
    for key in raw:
        if key not in known:
            raise SpecError(f"{where}.{key} is not a field; allowed: {', '.join(sorted(known))}")
    for key in ("title", "group", "order", "axes"):
        if key not in raw:
            raise SpecError(f"{where}.{key} is missing")
    if raw["group"] not in GROUPS:
        raise SpecError(f"{where}.group = {raw['group']!r}; allowed: {', '.join(GROUPS)}")
    lists = {key: tuple(raw[key]) for key in ("needs", "top_level", "figures", "uses") if key in raw}
    if not set(lists.get("needs", ())) <= set(NEEDS):
        raise SpecError(f"{where}.needs = {list(lists['needs'])}; allowed: any of {', '.join(NEEDS)}")
    axes = []
    for i, axis in enumerate(raw["axes"]):
        keys = set(axis) if isinstance(axis, dict) else {"(not a mapping)"}
        if not keys <= AXIS_KEYS or not ("key" in keys or {"field", "values"} <= keys):
            raise SpecError(
                f"{where}.axes[{i}] = {axis!r}; allowed: a mapping with key (and field, convert), "
                "or with field and values (and files)"
            )
        if axis.get("convert", "") and axis["convert"] not in CONVERSIONS:
            raise SpecError(f"{where}.axes[{i}].convert = {axis['convert']!r}; allowed: {', '.join(CONVERSIONS)}")
        axes.append(Axis(**{k: v for k, v in axis.items() if k != "values"}, values_=tuple(axis.get("values", ()))))
    if sum(axis.files for axis in axes) > 1:
        raise SpecError(f"{where}.axes: at most one axis has files: true")
    if not axes:
        raise SpecError(f"{where}.axes is empty; an experiment sweeps at least one key")
    presets = raw.get("presets", {})
    if not isinstance(presets, dict) or not set(presets) <= set(PRESETS):
        raise SpecError(
            f"{where}.presets = {presets!r}; allowed: a mapping from {', '.join(PRESETS)} to section values"
        )
    name = path.name.split(".")[0]
    return Spec(name, str(raw["title"]), raw["group"], int(raw["order"]), tuple(axes), presets=presets, **lists)


def collect(spec_dir: Path = SPECS, module_dir: Path = HERE, present_dir: Path = PRESENT) -> dict[str, Spec]:
    """Every experiment, in the report's order: one per schema fragment, each with its measurement and its
    presentation module; a fragment without both, or a module without a fragment, is an error."""
    specs = [_spec(path) for path in sorted(spec_dir.glob("*.schema.yaml"))]
    declared = {s.name for s in specs}
    for where, folder in (("mpbench/experiments", module_dir), ("mpbench/present", present_dir)):
        modules = {p.stem for p in folder.glob("*.py")} - HELPERS - {"__init__"}
        if modules != declared:
            missing = sorted(modules - declared) or sorted(declared - modules)
            raise SpecError(
                f"experiments without both a module in {where}/ and a schema fragment: "
                f"{', '.join(missing)} ({where}/<name>.py and "
                f"mpbench/schemas/experiments/<name>.schema.yaml)"
            )
    specs.sort(key=lambda s: (GROUPS.index(s.group), s.order, s.name))
    return {s.name: s for s in specs}


@functools.cache
def registry() -> dict[str, Spec]:
    """The experiments of this package (see :func:`collect`), read once."""
    return collect()


def __getattr__(attr: str):
    if attr == "NAMES":  # the experiments with a config section of their own (``experiments`` chooses among them)
        return [name for name, s in registry().items() if not s.top_level]
    if attr == "ALL":  # every experiment, the appendix included
        return list(registry())
    if attr == "TABLES":  # every table (raw folder, summary, table) -> its experiment
        return {table: name for name, s in registry().items() for table in s.tables}
    if attr == "FIGURES":  # every figure -> its experiment
        return {figure: name for name, s in registry().items() for figure in s.figure_names}
    raise AttributeError(f"module {__name__!r} has no attribute {attr!r}")


#: The experiments' pages (in a checkout; not part of an installed package).
DOCS = HERE.parent.parent / "docs" / "experiments"
CAPTION_HEADING = "## Reading the figure"


def caption(name: str, docs: Path = DOCS, figure: str | None = None) -> str:
    """What an experiment's figure shows and how to read it: the "Reading the
    figure" section of its page, the one description of it (the HTML report's caption).
    An experiment of several figures has "Reading the figures", one item per figure
    (``- **<figure>.png** — ...``)."""
    text = (docs / f"{name}.md").read_text(encoding="utf-8")
    heading = CAPTION_HEADING if figure in (None, name) else CAPTION_HEADING + "s"
    if f"\n{heading}\n" not in text:
        raise SpecError(f"docs/experiments/{name}.md has no section {heading!r}")
    section = text.split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0].strip()
    if heading == CAPTION_HEADING:
        return section
    for item in ("\n" + section).split("\n- ")[1:]:
        if item.startswith(f"**{figure}.png**"):
            return " ".join(line.strip() for line in item.split("—", 1)[1].splitlines()).strip()
    raise SpecError(f"docs/experiments/{name}.md: {heading!r} has no item **{figure}.png**")


def spec(name: str) -> Spec:
    specs = registry()
    if name not in specs:
        raise ValueError(f"unknown experiment {name!r}; allowed: {', '.join(specs)}")
    return specs[name]


def get(name: str) -> ModuleType:
    """The experiment's measurement module."""
    spec(name)
    return import_module(f"{__name__}.{name}")


def present(name: str) -> ModuleType:
    """The experiment's presentation module (summary, table, figure, findings)."""
    spec(name)
    return import_module(f"mpbench.present.{name}")


def plot(figure: str, summaries: dict, cores: int, out_paths, language: str) -> None:
    """Draw ``figure`` from ``summaries`` (each summary by its table's name: the figure's experiment's, and
    those of the experiments it uses): a figure named otherwise than its experiment draws on all of them."""
    name = __getattr__("FIGURES")[figure]
    if spec(name).figures:
        present(name).plot(summaries, cores, out_paths, figure=figure, language=language)
    else:
        present(name).plot(summaries[name], cores, out_paths, language)


def point_id(point: dict) -> str:
    """File-name form of a point: {"kind": "cpu", "workers": 4} -> "kindcpu_workers4"."""
    return "_".join(f"{key}{value}" for key, value in point.items())


def points(name: str, section: dict) -> list[dict]:
    """The parameter points of an experiment's config section, one Snakemake job each."""
    return spec(name).points(section)


def section(name: str, config: dict) -> dict:
    """An experiment's section of an effective config (see :meth:`Spec.section`)."""
    return spec(name).section(config)


def jobs(name: str, section: dict) -> list[tuple[str, str]]:
    """(table, point id) of every point: its raw file is results/raw/<table>/<point id>.csv."""
    s = spec(name)
    return [s.job(point) for point in s.points(section)]


def find_point(name: str, section: dict, pid: str, table: str | None = None) -> dict:
    s = spec(name)
    for point in s.points(section):
        if s.job(point) == (table or name, pid):
            return point
    raise ValueError(f"no point {pid!r} in the config of {table or name}")
