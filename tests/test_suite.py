"""The suite's own shape: every core module has a test module named after it."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).parent.parent
TESTS = Path(__file__).parent

# Core modules whose tests carry another name, and why.
OTHER_NAMES = {
    "postgres": "test_postgres_connect.py",  # the engine, tried against a live server
}


def core_modules() -> list[str]:
    """crmcli's modules outside cli/, and its packages (`imports/`) as one module each."""
    package = ROOT / "crmcli"
    found = [p.stem for p in package.glob("*.py") if p.stem not in ("__init__", "__main__")]
    found += [p.name for p in package.iterdir() if (p / "__init__.py").exists() and p.name != "cli"]
    return sorted(found)


def test_every_core_module_has_a_test_module_of_its_own():
    names = {p.name for p in TESTS.glob("test_*.py")}
    missing = []
    for module in core_modules():
        wanted = OTHER_NAMES.get(module, f"test_{module}.py")
        if wanted in names:
            continue
        # A package's tests may be split: test_import_customers.py, test_import_reading.py…
        if (ROOT / "crmcli" / module).is_dir() and any(
            n.startswith(f"test_{module.rstrip('s')}_") for n in names
        ):
            continue
        missing.append(f"crmcli/{module}: tests/{wanted}")
    assert missing == [], "core modules without a test module (write one, or rename it):\n" + (
        "\n".join(missing)
    )


def test_the_list_of_other_names_is_not_stale():
    modules = set(core_modules())
    names = {p.name for p in TESTS.glob("test_*.py")}
    for module, test in OTHER_NAMES.items():
        assert module in modules, f"{module} is gone: drop it from OTHER_NAMES"
        assert test in names, f"{test} is gone: OTHER_NAMES names it for {module}"
