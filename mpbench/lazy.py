"""pandas and numpy, imported on first use.

A timed job imports an experiment's module for its ``run`` only, and a parent
that has imported pandas forks more slowly (docs/method.md, "Imports"): with
these stand-ins the module names ``pd`` and ``np`` import the real module only
when first used - in the summary and table jobs, never in a timed one (tests
check it).
"""

from __future__ import annotations

import importlib
from types import ModuleType


class LazyModule:
    """Stands for the module ``name`` and imports it on the first attribute access."""

    def __init__(self, name: str):
        self._lazy_name = name

    def _module(self) -> ModuleType:
        return importlib.import_module(self._lazy_name)

    def __getattr__(self, attr: str):
        return getattr(self._module(), attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._lazy_name!r}>"


pandas = LazyModule("pandas")
numpy = LazyModule("numpy")
