"""Config validation: every bad value is refused with one line naming the key."""

import pytest

from mpbench.config import ConfigError, load_schema, validate_config

SCHEMA = load_schema()

# (config, words the one-line error must contain)
BAD = [
    ({"repeat": 3}, ["unknown key 'repeat'", "repeats"]),
    ({"data": {"size": 4}}, ["unknown key 'data.size'", "size_mb"]),
    ({"repeats": 0}, ["repeats = 0", ">= 1"]),
    ({"repeats": -2}, ["repeats = -2", ">= 1"]),
    ({"repeats": 2.5}, ["repeats = 2.5", "whole number"]),
    ({"repeats": 3.0}, ["repeats = 3.0", "whole number"]),
    ({"repeats": "three"}, ["repeats = 'three'", "whole number"]),
    ({"repeats": True}, ["repeats = True", "whole number"]),
    ({"repeats": "often"}, ["repeats = 'often'", "auto or a whole number"]),
    ({"precision": 0}, ["precision = 0", "> 0"]),
    ({"precision": 0.7}, ["precision = 0.7", "<= 0.5"]),
    ({"max_repeats": 1}, ["max_repeats = 1", ">= 2"]),
    ({"max_repeats": 5}, ["max_repeats = 5", "6 repetitions a 95% interval needs", ">= 6"]),
    ({"budget_minutes": 0}, ["budget_minutes = 0", "> 0"]),
    ({"budget_minutes": "long"}, ["budget_minutes = 'long'", "a number"]),
    ({"warmup": -1}, ["warmup = -1", ">= 0"]),
    ({"workers": [0]}, ["workers[0] = 0", ">= 1"]),
    ({"workers": [4, -4]}, ["workers[1] = -4", ">= 1"]),
    ({"workers": 4}, ["workers = 4", "a list of"]),
    ({"workers": []}, ["workers = []", "at least 1"]),
    ({"workers": [2, 2]}, ["workers = [2, 2]", "duplicate"]),
    ({"loops": [1, 0]}, ["loops[1] = 0", ">= 1"]),
    ({"loops": [1, 1.5]}, ["loops[1] = 1.5", "whole number"]),
    ({"loops": [5, 5]}, ["loops = [5, 5]", "duplicate"]),
    ({"data": {"size_mb": 0}}, ["data.size_mb = 0", "> 0"]),
    ({"data": {"size_mb": -40}}, ["data.size_mb = -40", "> 0"]),
    ({"data": {"lines": 0}}, ["data.lines = 0", ">= 1"]),
    ({"data": {"size_mb": 1, "lines": 600000}}, ["data.lines = 600000", "at most 524288"]),
    ({"language": "fr"}, ["language = 'fr'", "one of zh, en"]),
    ({"ci_level": 1.5}, ["ci_level = 1.5", "< 1"]),
    ({"cv_threshold": 0}, ["cv_threshold = 0", "> 0"]),
    ({"scratch_dir": ""}, ["scratch_dir = ''", "not empty"]),
    ({"scratch_dir": "/nonexistent-mpbench/a/b"}, ["scratch_dir = '/nonexistent-mpbench/a/b'", "does not exist"]),
    ({"start_method": "threads"}, ["start_method = 'threads'", "one of fork, spawn, forkserver"]),
    ({"start_method": ""}, ["start_method = ''", "one of fork, spawn, forkserver"]),
    ({"chunksize": 0}, ["chunksize = 0", "default or a whole number >= 1"]),
    ({"chunksize": "auto"}, ["chunksize = 'auto'", "default or a whole number >= 1"]),
    ({"chunksize": 2.5}, ["chunksize = 2.5", "default or a whole number >= 1"]),
    ({"cache": "hot"}, ["cache = 'hot'", "one of warm, cold"]),
    ({"fsync": "yes"}, ["fsync = 'yes'", "true or false"]),
    ({"fsync": 1}, ["fsync = 1", "true or false"]),
    ({"run_timeout_s": 0}, ["run_timeout_s = 0", "> 0"]),
    ({"run_timeout_s": "soon"}, ["run_timeout_s = 'soon'", "a number > 0"]),
]


@pytest.mark.parametrize("bad, words", BAD, ids=[repr(b) for b, _ in BAD])
def test_bad_config_is_refused_with_one_line(bad, words, tmp_path):
    with pytest.raises(ConfigError) as info:
        validate_config(bad, SCHEMA, workdir=tmp_path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("config: ")
    for word in words:
        assert word in message


def test_scratch_dir_that_is_a_file_is_refused(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(ConfigError, match="is not a directory"):
        validate_config({"scratch_dir": str(target)}, SCHEMA, workdir=tmp_path)


def test_scratch_dir_short_of_space_is_refused(tmp_path):
    # 4096 MiB x 10**6 loops is more than any disk holds.
    with pytest.raises(ConfigError, match="MiB free"):
        validate_config({"data": {"size_mb": 4096}, "loops": [10**6]}, SCHEMA, workdir=tmp_path)


def test_defaults_reproduce_the_seed(tmp_path):
    cfg = validate_config({}, SCHEMA, workdir=tmp_path)
    assert cfg["data"] == {"size_mb": 40, "lines": 20000, "seed": 2019}
    assert cfg["loops"] == [1, 5, 10, 15, 20, 40, 80, 160]
    assert cfg["workers"] == [4]
    # repeat until every interval is within +-5%, within a budget
    assert (cfg["repeats"], cfg["precision"], cfg["max_repeats"]) == ("auto", 0.05, 100)
    assert cfg["budget_minutes"] > 0
    assert cfg["language"] == "zh"
    # the seed's conditions: fork (Linux, 2019), Pool.map's own chunksize, a warm cache, buffered writes
    assert (cfg["start_method"], cfg["chunksize"], cfg["cache"], cfg["fsync"]) == ("fork", "default", "warm", False)


def test_partial_nested_config_keeps_other_defaults(tmp_path):
    cfg = validate_config({"data": {"size_mb": 2}, "repeats": 2}, SCHEMA, workdir=tmp_path)
    assert cfg["data"] == {"size_mb": 2, "lines": 20000, "seed": 2019}
    assert cfg["repeats"] == 2


def test_shipped_config_yaml_is_valid_and_equals_the_defaults(tmp_path):
    import yaml
    from conftest import REPO

    shipped = yaml.safe_load((REPO / "config.yaml").read_text())
    assert validate_config(shipped, SCHEMA, workdir=tmp_path) == validate_config({}, SCHEMA, workdir=tmp_path)


def test_numbers_given_as_text_are_numbers(tmp_path):
    # snakemake --config 'workers=[2,4]' passes the list entries as strings
    cfg = validate_config(
        {"workers": ["2", "4"], "loops": ["1"], "data": {"size_mb": "2.5", "lines": "10"}, "repeats": "3"},
        SCHEMA,
        workdir=tmp_path,
    )
    assert cfg["workers"] == [2, 4] and cfg["loops"] == [1] and cfg["repeats"] == 3
    assert cfg["data"]["size_mb"] == 2.5 and cfg["data"]["lines"] == 10


def test_text_that_is_no_number_is_still_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"workers\[0\] = 'four'"):
        validate_config({"workers": ["four"]}, SCHEMA, workdir=tmp_path)


def test_conditions_given_as_text_on_the_command_line(tmp_path):
    cfg = validate_config({"chunksize": "4", "fsync": "true"}, SCHEMA, workdir=tmp_path)
    assert cfg["chunksize"] == 4 and cfg["fsync"] is True
    assert validate_config({"chunksize": "default"}, SCHEMA, workdir=tmp_path)["chunksize"] == "default"


def test_a_start_method_this_platform_lacks_is_refused(tmp_path, monkeypatch):
    import multiprocessing

    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    with pytest.raises(
        ConfigError, match="start_method = 'fork' is not available on this platform; allowed here: one of spawn"
    ):
        validate_config({"start_method": "fork"}, SCHEMA, workdir=tmp_path)


def test_cold_cache_without_posix_fadvise_is_refused(tmp_path, monkeypatch):
    from mpbench import cache

    monkeypatch.setattr(cache, "EVICTION_SUPPORTED", False)  # what a platform without os.posix_fadvise has
    with pytest.raises(ConfigError, match="cache = 'cold' needs os.posix_fadvise"):
        validate_config({"cache": "cold"}, SCHEMA, workdir=tmp_path)


def test_a_test_file_larger_than_the_free_space_is_refused(tmp_path, monkeypatch):
    import shutil
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**9, 10**9, 10 * 1024 * 1024))
    with pytest.raises(
        ConfigError, match=r"data.size_mb = 40 needs 40 MiB for the test file in results/data but 10 MiB"
    ):
        validate_config({}, SCHEMA, workdir=tmp_path)


def test_a_run_too_large_to_finish_is_warned_about_with_bytes_and_time(tmp_path):
    from mpbench.config import estimate_appendix, warnings_for

    default = validate_config({}, SCHEMA, workdir=tmp_path)
    total, seconds = estimate_appendix(default)
    assert total == 7 * 2 * sum(default["loops"]) * 40 * 2**20 * 5 and seconds > 0
    assert warnings_for(default) == []
    huge = {**default, "loops": [100000], "repeats": 100}
    (line,) = warnings_for(huge)
    assert "TiB" in line and "hours" in line and "lower loops" in line


def test_quick_config_is_valid_and_runs_every_experiment(tmp_path):
    import yaml
    from conftest import REPO

    from mpbench import experiments

    quick = validate_config(yaml.safe_load((REPO / "config" / "quick.yaml").read_text()), SCHEMA, workdir=tmp_path)
    assert quick["repeats"] == "auto" and quick["budget_minutes"] <= 2
    assert all(quick[name]["enabled"] for name in experiments.NAMES)


@pytest.mark.parametrize("preset", ["quick", "tiny"])
def test_every_experiment_declares_each_preset_and_it_is_valid(preset, tmp_path):
    from mpbench import experiments

    for name in experiments.NAMES:
        assert experiments.spec(name).presets.get(preset), f"{name} declares no {preset} preset in its fragment"
    cfg = validate_config({"preset": preset}, SCHEMA, workdir=tmp_path)
    for name in experiments.NAMES:
        for key, value in experiments.spec(name).presets[preset].items():
            assert cfg[name][key] == value


def test_a_section_key_wins_over_its_preset(tmp_path):
    cfg = validate_config({"preset": "tiny", "lock": {"increments": 7}}, SCHEMA, workdir=tmp_path)
    assert cfg["lock"]["increments"] == 7 and cfg["lock"]["workers"] == [2]  # the rest from the preset
    assert validate_config({}, SCHEMA, workdir=tmp_path)["lock"]["workers"] == [2, 4]  # none: the defaults


def test_experiments_lists_what_runs(tmp_path):
    from mpbench import experiments

    cfg = validate_config({"experiments": ["lock", "crossover"]}, SCHEMA, workdir=tmp_path)
    assert {n for n in experiments.NAMES if cfg[n]["enabled"]} == {"lock", "crossover"}
    cfg = validate_config({"experiments": [], "lock": {"workers": [3]}}, SCHEMA, workdir=tmp_path)
    assert not any(cfg[n]["enabled"] for n in experiments.NAMES)
    assert all(validate_config({}, SCHEMA, workdir=tmp_path)[n]["enabled"] for n in experiments.NAMES)


def test_experiments_and_preset_are_checked(tmp_path):
    with pytest.raises(ConfigError, match=r"experiments = \['lok'\] is not allowed; allowed: all or a list of .*lock"):
        validate_config({"experiments": ["lok"]}, SCHEMA, workdir=tmp_path)
    with pytest.raises(ConfigError, match="preset = 'fast' is not allowed; allowed: .*quick"):
        validate_config({"preset": "fast"}, SCHEMA, workdir=tmp_path)
    with pytest.raises(ConfigError, match=r"lock.enabled = true but experiments = \['crossover'\] leaves it out"):
        validate_config({"experiments": ["crossover"], "lock": {"enabled": True}}, SCHEMA, workdir=tmp_path)
