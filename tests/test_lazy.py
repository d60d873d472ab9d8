"""`lazy_import`: a module imported on its first use (`crmcli.lazy`)."""

from __future__ import annotations

import sys

import pytest

from crmcli.lazy import lazy_import


@pytest.fixture
def probe(tmp_path, monkeypatch):
    """A module of its own, which says when it runs."""
    (tmp_path / "lazy_probe.py").write_text(
        "import sys\nsys.lazy_probe_runs = getattr(sys, 'lazy_probe_runs', 0) + 1\n"
        "ANSWER = 42\n\ndef double(x):\n    return 2 * x\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "lazy_probe", raising=False)
    monkeypatch.setattr(sys, "lazy_probe_runs", 0, raising=False)
    yield "lazy_probe"
    sys.modules.pop("lazy_probe", None)


def test_the_module_runs_on_its_first_use_and_once(probe):
    module = lazy_import(probe)
    assert probe not in sys.modules and sys.lazy_probe_runs == 0
    assert "not imported yet" in repr(module)
    assert module.ANSWER == 42  # the first read imports it
    assert probe in sys.modules and sys.lazy_probe_runs == 1
    assert module.double(4) == 8 and module.double is sys.modules[probe].double
    assert sys.lazy_probe_runs == 1
    assert "imported" in repr(module) and "not" not in repr(module)


def test_a_module_imported_already_is_the_same_one(probe):
    real = __import__(probe)
    assert lazy_import(probe).double is real.double
    assert sys.lazy_probe_runs == 1


def test_a_missing_module_or_name_fails_where_it_is_used():
    module = lazy_import("crmcli.no_such_module")  # naming it costs nothing, checks nothing
    with pytest.raises(ModuleNotFoundError):
        getattr(module, "anything")  # noqa: B009
    with pytest.raises(AttributeError):
        getattr(lazy_import("crmcli.lazy"), "no_such_name")  # noqa: B009
