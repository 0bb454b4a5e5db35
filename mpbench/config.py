"""Configuration: schema validation with one-line errors (the key, the value and what is allowed), defaults,
and the checks a schema cannot express (docs/configuration.md)."""

from __future__ import annotations

import copy
import multiprocessing
import os
import re
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from . import cache, experiments
from .precision import min_repeats

SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "config.schema.yaml"
MIB = 1024 * 1024
TYPE_WORDS = {"integer": "a whole number", "number": "a number", "string": "a text", "boolean": "true or false"}


class ConfigError(ValueError):
    """A configuration value that the pipeline refuses; str() is one line."""


def load_schema(path: Path = SCHEMA_PATH) -> dict:
    """The config schema, with each experiment's section merged in from its fragment
    (``experiments/<name>.schema.yaml`` beside it: an experiment is added without touching the others)."""
    schema = yaml.safe_load(path.read_text(encoding="utf-8"))
    for fragment in sorted((path.parent / "experiments").glob("*.schema.yaml")):
        section = yaml.safe_load(fragment.read_text(encoding="utf-8"))
        if section.get("x-experiment", {}).get("top_level"):
            continue  # its section is top-level keys (the appendix): nothing to merge
        section.setdefault("default", {})
        name = fragment.name.split(".")[0]
        if name in schema["properties"]:
            raise ValueError(f"experiment section {name!r} would replace the top-level config key of that name")
        schema["properties"][name] = section
    # The experiments' names are what a list in `experiments` allows.
    names = sorted(n for n in schema["properties"] if "x-experiment" in schema["properties"][n])
    schema["properties"]["experiments"]["anyOf"][1]["items"]["enum"] = names
    return schema


def apply_preset(config: dict, schema: dict) -> dict:
    """``config`` with each experiment's section filled from its preset
    (``preset``, declared in the fragment's ``x-experiment.presets``) where it
    sets no value of its own, and the experiments left out of ``experiments``
    switched off."""
    out = copy.deepcopy(config)
    preset = out.get("preset", schema["properties"]["preset"]["default"])
    chosen = out.get("experiments", "all")
    for name, sub in schema["properties"].items():
        if "x-experiment" not in sub or not isinstance(out.get(name, {}), dict):
            continue
        values = sub["x-experiment"].get("presets", {}).get(preset, {})
        section = {**copy.deepcopy(values), **out.get(name, {})}
        if isinstance(chosen, list) and name not in chosen:
            if out.get(name, {}).get("enabled") is True:  # the user's own section, not a preset
                raise ConfigError(
                    f"config: {name}.enabled = true but experiments = {chosen} leaves it out; "
                    f"allowed: list {name} in experiments, or drop its enabled"
                )
            section["enabled"] = False
        if section:
            out[name] = section
    return out


def _strict_validator(schema: dict) -> jsonschema.protocols.Validator:
    """A validator whose "integer" refuses floats such as 4.0 and booleans."""
    base = jsonschema.Draft202012Validator
    checker = base.TYPE_CHECKER.redefine(
        "integer", lambda _c, x: isinstance(x, int) and not isinstance(x, bool)
    ).redefine("number", lambda _c, x: isinstance(x, (int, float)) and not isinstance(x, bool))
    return jsonschema.validators.extend(base, type_checker=checker)(schema)


def _where(path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _subschema(schema: dict, path) -> dict:
    node = schema
    for part in path:
        node = node.get("items", {}) if isinstance(part, int) else node.get("properties", {}).get(part, {})
    return node


def _allowed(sub: dict) -> str:
    """Describe in words what a schema node accepts."""
    if "enum" in sub:
        return "one of " + ", ".join(map(str, sub["enum"]))
    if "const" in sub:
        return str(sub["const"])
    if "anyOf" in sub:
        return " or ".join(_allowed(option) for option in sub["anyOf"])
    kind = sub.get("type", "value")
    if kind == "array":
        words = f"a list of {_allowed(sub.get('items', {}))}"
        if sub.get("uniqueItems"):
            words += " without duplicates"
        if sub.get("minItems"):
            words += f", at least {sub['minItems']} entry"
        return words
    if kind == "object":
        return "a mapping with keys " + ", ".join(sub.get("properties", {}))
    words = TYPE_WORDS.get(kind, str(kind))
    signs = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}
    bounds = [f"{sign} {sub[key]}" for key, sign in signs.items() if key in sub]
    if "minLength" in sub:
        bounds.append("not empty")
    return words + (" " + " and ".join(bounds) if bounds else "")


def _describe(error: jsonschema.ValidationError, schema: dict) -> str:
    path = list(error.absolute_path)
    if error.validator == "additionalProperties":
        parent = _subschema(schema, path)
        allowed = list(parent.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        where = _where(path + [extra[0]]) if extra else _where(path)
        return f"config: unknown key '{where}'; allowed keys here: {', '.join(allowed)}"
    problem = "has duplicate entries" if error.validator == "uniqueItems" else "is not allowed"
    return f"config: {_where(path)} = {error.instance!r} {problem}; allowed: {_allowed(_subschema(schema, path))}"


def _coerce_scalar(value: Any, kind: Any) -> Any:
    if not isinstance(value, str):
        return value
    text = value.strip()
    if kind in ("integer", "number") and re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    if kind == "number":
        try:
            return float(text)
        except ValueError:
            return value
    if kind == "boolean" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    return value


def coerce(config: Any, schema: dict) -> Any:
    """Numbers written as text become numbers, guided by the schema.

    Snakemake's ``--config 'workers=[2,4]'`` hands list and mapping entries
    over as strings ("2", "4"); a user who wrote that meant numbers.  Text
    that is not a number stays text and fails validation with a clear line.
    """
    kind = schema.get("type")
    if "anyOf" in schema:
        # e.g. "default" or a whole number: a number written as text becomes one.
        for option in schema["anyOf"]:
            if option.get("type") in ("integer", "number"):
                converted = _coerce_scalar(config, option["type"])
                if converted is not config:
                    return converted
        return config
    if kind == "object" and isinstance(config, dict):
        props = schema.get("properties", {})
        return {k: coerce(v, props[k]) if k in props else v for k, v in config.items()}
    if kind == "array" and isinstance(config, list):
        return [coerce(v, schema.get("items", {})) for v in config]
    return _coerce_scalar(config, kind)


def fill_defaults(config: dict, schema: dict) -> dict:
    """Return a copy of ``config`` with every missing key set from the schema's defaults."""
    out = copy.deepcopy(config) if config else {}
    for key, sub in schema.get("properties", {}).items():
        if key not in out and "default" in sub:
            out[key] = copy.deepcopy(sub["default"])
        if sub.get("type") == "object" and isinstance(out.get(key), dict):
            out[key] = fill_defaults(out[key], sub)
    return out


def existing_ancestor(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def free_bytes(path) -> int:
    """Free space where ``path`` is or will be created (its nearest existing ancestor)."""
    return shutil.disk_usage(existing_ancestor(Path(path))).free


def writable_dir(value: str, workdir, where: str, allowed: str, parent_ok: bool = False) -> Path:
    """The directory that ``value`` (relative to ``workdir``) names, or the existing one it will be created in
    (a relative path: the pipeline creates it; an absolute one only with ``parent_ok``, in an existing
    parent); raises ConfigError, ``where`` and ``allowed`` naming the key, when it is not a writable directory."""
    path = Path(workdir or "", value)  # an absolute value stays as it is
    if path.exists():
        if not path.is_dir():
            raise ConfigError(f"{where} is not a directory; {allowed}")
        target = path
    elif not Path(value).is_absolute():
        target = existing_ancestor(path)
    elif parent_ok and path.parent.is_dir():
        target = path.parent
    else:
        raise ConfigError(f"{where} does not exist; {allowed}")
    if not os.access(target, os.W_OK | os.X_OK):
        raise ConfigError(f"{where} is not writable; {allowed}")
    return target


def check_semantics(cfg: dict, workdir: Path | None = None) -> None:
    """Checks a JSON schema cannot express. Raises ConfigError."""
    size_bytes = int(cfg["data"]["size_mb"] * MIB)
    lines = cfg["data"]["lines"]
    if lines * 2 > size_bytes:
        raise ConfigError(
            f"config: data.lines = {lines} is more than a {cfg['data']['size_mb']} MiB file "
            f"can hold; allowed: at most {size_bytes // 2} (one character and a newline per line)"
        )
    least = min_repeats(cfg["ci_level"])
    if cfg["max_repeats"] < least:
        raise ConfigError(
            f"config: max_repeats = {cfg['max_repeats']} is fewer than the {least} repetitions a "
            f"{cfg['ci_level']:.0%} interval needs; allowed: a whole number >= {least} and <= 1000"
        )
    available = multiprocessing.get_all_start_methods()
    if cfg["start_method"] not in available:
        raise ConfigError(
            f"config: start_method = {cfg['start_method']!r} is not available on this platform; "
            f"allowed here: one of {', '.join(available)}"
        )
    if cfg["cache"] == "cold" and not cache.EVICTION_SUPPORTED:
        raise ConfigError(
            "config: cache = 'cold' needs os.posix_fadvise to evict the test file, which this platform "
            "lacks; allowed here: warm"
        )
    target = writable_dir(
        cfg["scratch_dir"],
        workdir,
        f"config: scratch_dir = {cfg['scratch_dir']!r}",
        "allowed: a directory this user can write, or a new one in an existing directory",
        parent_ok=True,
    )
    # The test file itself goes to results/data in the working directory.
    if workdir is not None:
        data_free = free_bytes(Path(workdir) / "results")
        if size_bytes > data_free:
            raise ConfigError(
                f"config: data.size_mb = {cfg['data']['size_mb']} needs {size_bytes / MIB:.0f} MiB for the test "
                f"file in results/data but {data_free / MIB:.0f} MiB are free there; free space or lower data.size_mb"
            )
    # The largest cell writes max(loops) copies of the file at once.
    needed = max(cfg["loops"]) * size_bytes
    free = free_bytes(target)
    if needed > free:
        raise ConfigError(
            f"config: scratch_dir = {cfg['scratch_dir']!r} has {free / MIB:.0f} MiB free but "
            f"loops = {max(cfg['loops'])} with data.size_mb = {cfg['data']['size_mb']} writes "
            f"{needed / MIB:.0f} MiB; free space or lower loops/data.size_mb"
        )


# Python reads and decodes about this much per second in one process (the
# ceiling experiment measured 640 MiB/s on a 2-core VM); serial runs dominate.
ESTIMATE_MIB_PER_S = 500
WARN_SECONDS = 24 * 3600
WARN_BYTES = 1024**4  # 1 TiB


def estimate_appendix(cfg: dict) -> tuple[int, float]:
    """Bytes the appendix sweep moves and a rough time for them.

    Per cell: (warmup + repeats) x (serial + Pool) x loops operations (a
    generous count: a warm-up is now one operation per variant); read
    moves the file once, read & write and overwrite twice (read, then write).
    """
    size = int(cfg["data"]["size_mb"] * MIB)
    # With repeats: auto, the fewest repetitions a point can get.
    repeats = min_repeats(cfg["ci_level"]) if cfg["repeats"] == "auto" else cfg["repeats"]
    runs = (cfg["warmup"] + repeats) * 2
    total = sum(runs * loops * size * (1 + 2 + 2) for loops in cfg["loops"] for _ in cfg["workers"])
    return total, total / (ESTIMATE_MIB_PER_S * MIB)


def warnings_for(cfg: dict) -> list[str]:
    """One line for a run so large it may never finish (a warning, not an error)."""
    total, seconds = estimate_appendix(cfg)
    if total <= WARN_BYTES and seconds <= WARN_SECONDS:
        return []
    return [
        f"the appendix sweep alone moves about {total / 1024**4:.1f} TiB and may take about {seconds / 3600:.0f} "
        f"hours (estimated at {ESTIMATE_MIB_PER_S} MiB/s); lower loops, workers, repeats or data.size_mb "
        f"if that is not what you meant"
    ]


def check_experiments(cfg: dict, workdir: Path | None = None) -> None:
    """Each enabled experiment's own checks (its optional ``check_config``): a measurement module
    imports nothing of the package's configuration, so it raises ValueError, reported here as ConfigError."""
    for name in experiments.NAMES:
        section = cfg.get(name, {})
        module = experiments.get(name)
        if section.get("enabled", True) and hasattr(module, "check_config"):
            try:
                module.check_config(section, cfg, workdir)
            except ValueError as err:
                raise ConfigError(str(err)) from err


def validate_config(config: dict | None, schema: dict | None = None, workdir: Path | None = None) -> dict:
    """Validate ``config``, fill its defaults and return the effective config (or raise ConfigError)."""
    schema = schema or load_schema()
    config = config or {}
    if not isinstance(config, dict):
        raise ConfigError(f"config: the top level must be a mapping of keys, got {config!r}")
    config = apply_preset(coerce(config, schema), schema)
    errors = _strict_validator(schema).iter_errors(config)
    first = min(errors, key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))), default=None)
    if first is not None:  # the shallowest error: the key a user wrote, not one inside it
        raise ConfigError(_describe(first, schema))
    cfg = fill_defaults(config, schema)
    check_semantics(cfg, workdir)
    check_experiments(cfg, workdir)
    return cfg
