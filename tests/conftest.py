import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# The appendix tables' conditions as the pipeline hands them to a condition
# experiment's run() (the config defaults: the post's setting).
BASE = {"start_method": "fork", "chunksize": "default", "cache": "warm", "fsync": False}


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    """A small test file (40,000 bytes, 80 lines); a test module may define its own."""
    from mpbench.datagen import write_test_file

    path = tmp_path_factory.mktemp("data") / "input.txt"
    write_test_file(path, 40_000, 80, seed=5)
    return str(path)
