"""pandas and numpy, imported on first use: in the summary and table jobs, never in a timed one
(docs/method.md, "Imports")."""

from __future__ import annotations

import importlib


class LazyModule:
    """Stands for the module ``name`` and imports it on the first attribute access."""

    def __init__(self, name: str):
        self._lazy_name = name

    def __getattr__(self, attr: str):
        return getattr(importlib.import_module(self._lazy_name), attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._lazy_name!r}>"


pandas = LazyModule("pandas")
numpy = LazyModule("numpy")
