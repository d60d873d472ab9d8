"""A core module imported when it is first used, not when the module naming it loads.

Start-up is most of a read command's time (issue 17): `crmcli due --kind birthday`
has no use for the complaint stages, tier rules or public holidays that other kinds
of the agenda read, yet importing the agenda's sources would load them all. Such a
module is named at the top of its user, in one statement, like an import:

    complaints = lazy_import("crmcli.complaints")

and is imported on the first attribute read (`complaints.overdue(...)`). It is an
import like any other for the layer checks: `tests/test_layers.py` reads these
statements (a literal name, at module level) into the import graph it checks.
`sys.modules` holds the module only once it is used, so a test of what a command
loads sees what it really ran.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands for the module `name` until its first attribute read imports it."""

    __slots__ = ("_module", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:
        # Called only for what the stand-in itself lacks: every name of the module.
        module = self._module
        if module is None:
            module = self._module = importlib.import_module(self._name)
        return getattr(module, attribute)

    def __repr__(self) -> str:
        state = "imported" if self._module is not None else "not imported yet"
        return f"<lazy module {self._name!r} ({state})>"


def lazy_import(name: str) -> Any:
    """The module `name` (absolute, e.g. "crmcli.tiers"), imported on its first use."""
    return LazyModule(name)
