"""The modules' layers: values → storage → records → rules → agenda/imports → cli.

The README's module table is the one place the layers are written: each row names its
layer, rows in layer order. Read from there, the import graph of `crmcli/` must have
no cycle, each module may import only from its own layer or below, and no core module
hides an import of crmcli inside a function (a hidden import is how a cycle hides).
The CLI (`crmcli/cli/`) loads each command group only when it runs, on purpose: its
function-local imports are start-up time, not cycles, and stay allowed. A core module
that needs another only sometimes names it at the top with `lazy_import("crmcli.x")`
(`crmcli/lazy.py`): an import like any other here, only run later.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "crmcli"
README = ROOT / "README.md"
LAYERS = ["values", "storage", "records", "rules", "agenda/imports", "cli"]

# Core modules allowed a function-local import (none: issue 15 item 2 hoisted the last,
# evidence → settings, undo → customers, reading → json_rows). A name here must still
# have one, so the list can only shrink.
PENDING: set[str] = set()


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int
    local: bool  # inside a function or class: runs only when called, hidden from the top
    lazy: bool = False  # `lazy_import("crmcli.x")`: runs on the module's first use

    @property
    def lazy_by_design(self) -> bool:
        return self.local and (self.importer in PENDING or _is_cli(self.importer))


def _is_cli(module: str) -> bool:
    # __main__ is the entry point: it loads the CLI only when --version is not all.
    return module in ("crmcli.cli", "crmcli.__main__") or module.startswith("crmcli.cli.")


def _module_name(relative: Path) -> str:
    parts = relative.with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources(root: Path) -> dict[str, tuple[Path, str]]:
    """module name → (file, source) for every module of the package under `root`."""
    return {
        _module_name(p.relative_to(root)): (p, p.read_text(encoding="utf-8"))
        for p in sorted((root / "crmcli").rglob("*.py"))
    }


def _targets(
    node: ast.Import | ast.ImportFrom, importer: str, modules: set[str], packages: set[str]
) -> list[str]:
    """The crmcli modules a statement loads (`from crmcli import x` loads crmcli.x)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "crmcli"]
    base = node.module or ""
    if node.level:  # relative: from the importer's package upwards
        package = importer.split(".") if importer in packages else importer.split(".")[:-1]
        package = package[: len(package) - node.level + 1]
        base = ".".join(package + ([node.module] if node.module else []))
    if base.split(".")[0] != "crmcli":
        return []
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]


def _with_packages(target: str, importer: str) -> list[str]:
    """`target` and the packages Python runs on the way to it (`crmcli.imports` for
    `crmcli.imports.evidence`), but not the importer's own: a module's package is
    already loading when the module runs."""
    parts = target.split(".")
    outer = [".".join(parts[:n]) for n in range(2, len(parts))]
    mine = [p for p in outer if importer == p or importer.startswith(p + ".")]
    return [p for p in outer if p not in mine] + [target]


def _lazy_target(node: ast.AST) -> str | None:
    """The module a `lazy_import("crmcli.x")` call names (`crmcli.lazy`), else None."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    if name != "lazy_import":
        return None
    [arg] = node.args
    assert isinstance(arg, ast.Constant) and isinstance(arg.value, str), (
        f"line {node.lineno}: lazy_import takes the module's name as written, not computed"
    )
    return arg.value


def imports_of(sources: dict[str, tuple[Path, str]]) -> list[Import]:
    """Every crmcli import in `sources` (module name → (file, source)), the lazy ones
    (`lazy_import("crmcli.x")`) included."""
    modules = set(sources)
    packages = {m for m, (path, _) in sources.items() if path.name == "__init__.py"}
    found = []
    for name, (path, source) in sources.items():
        tree = ast.parse(source, filename=str(path))
        local = {
            id(inner)
            for scope in ast.walk(tree)
            if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            for inner in ast.walk(scope)
            if inner is not scope
        }
        for node in ast.walk(tree):
            lazy = _lazy_target(node)
            if lazy is not None:
                assert lazy in modules, f"{path}:{node.lineno}: no module {lazy} to import"
                found.append(Import(name, lazy, node.lineno, id(node) in local, lazy=True))
            if isinstance(node, ast.Import | ast.ImportFrom):
                for target in {
                    t
                    for found in _targets(node, name, modules, packages)
                    for t in _with_packages(found, name)
                }:
                    if target != name:
                        found.append(Import(name, target, node.lineno, id(node) in local))
    return found


def hidden(imports: list[Import]) -> list[Import]:
    """Function-local crmcli imports where none is wanted."""
    return [i for i in imports if i.local and not i.lazy_by_design]


def cycle(imports: list[Import]) -> list[str] | None:
    """One cycle of the import graph (function-local imports included), as a path, or None."""
    graph: dict[str, set[str]] = {}
    for i in imports:
        if not i.lazy_by_design:
            graph.setdefault(i.importer, set()).add(i.imported)
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = "on the path"
        path.append(module)
        for nxt in sorted(graph.get(module, ())):
            if state.get(nxt) == "on the path":
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state and (found := visit(module)):
            return found
    return None


def upward(imports: list[Import], layer_of: dict[str, str]) -> list[Import]:
    """Imports of a module in a higher layer than the importer's."""
    rank = {module: LAYERS.index(layer) for module, layer in layer_of.items()}
    return [i for i in imports if not i.lazy_by_design and rank[i.imported] > rank[i.importer]]


def layer_table(readme: str, modules: set[str]) -> dict[str, str]:
    """module → layer, from the README's module table (`| layer | files | what |`).

    A folder (`imports/`) stands for every module in it that no row names by itself.
    """
    rows = re.findall(r"^\| *([a-z/]+) *\| *(`[^|]*`) *\|", readme, re.M)
    assert rows, "README.md has no module table with a layer column"
    seen: list[str] = []
    named: dict[str, str] = {}
    folders: dict[str, str] = {}
    for layer, cell in rows:
        assert layer in LAYERS, f"README module table: unknown layer {layer!r}"
        if layer not in seen:
            seen.append(layer)
        assert layer == seen[-1], f"README module table: the {layer} rows must be together"
        for file in re.findall(r"`([^`]+)`", cell):
            if file.endswith("/"):
                package = "crmcli." + file.strip("/").replace("/", ".")
                assert package not in folders, f"README module table names {file} twice"
                folders[package] = layer
            else:
                module = _module_name(Path("crmcli", file))
                assert module not in named, f"README module table names {file} twice"
                named[module] = layer
    assert seen == [layer for layer in LAYERS if layer in seen], f"layers out of order: {seen}"
    layer_of = dict(named)
    for module in sorted(modules - set(named)):
        inside = [p for p in folders if module == p or module.startswith(p + ".")]
        if inside:
            layer_of[module] = folders[max(inside, key=len)]
    return layer_of


SOURCES = _sources(ROOT)
IMPORTS = imports_of(SOURCES)
LAYER_OF = layer_table(README.read_text(encoding="utf-8"), set(SOURCES))


def _where(i: Import) -> str:
    return f"{SOURCES[i.importer][0].relative_to(ROOT)}:{i.line} imports {i.imported}"


def test_the_module_table_names_every_module_once_in_layer_order():
    assert sorted(LAYER_OF) == sorted(SOURCES), (
        f"missing from README's module table: {sorted(set(SOURCES) - set(LAYER_OF))}; "
        f"in the table but not in crmcli/: {sorted(set(LAYER_OF) - set(SOURCES))}"
    )
    assert set(LAYER_OF.values()) == set(LAYERS)


def test_no_function_local_crmcli_import_outside_cli():
    found = [_where(i) for i in hidden(IMPORTS)]
    assert not found, "import these at the top of the module:\n" + "\n".join(found)


def test_pending_modules_still_need_their_exemption():
    still = {i.importer for i in IMPORTS if i.local and i.importer in PENDING}
    assert still == PENDING, f"no function-local import left: drop {PENDING - still} from PENDING"


def test_no_import_cycle():
    found = cycle(IMPORTS)
    assert found is None, "import cycle: " + " → ".join(found or [])


def test_each_module_imports_only_its_own_layer_or_below():
    found = [
        f"{_where(i)} ({LAYER_OF[i.importer]} → {LAYER_OF[i.imported]})"
        for i in upward(IMPORTS, LAYER_OF)
    ]
    assert not found, "imports against the layers:\n" + "\n".join(found)


def test_the_core_never_imports_the_cli():
    core = [i for i in IMPORTS if not _is_cli(i.importer) and _is_cli(i.imported)]
    assert [_where(i) for i in core if i.importer != "crmcli.__main__"] == []


# The checks themselves, on a small package made for them: each finds what it must.
SHOP = {
    "crmcli": "",
    "crmcli.db": "from crmcli import errors\n",
    "crmcli.errors": "",
    "crmcli.settings": "from crmcli.db import write\n",
    "crmcli.tiers": "def at_risk():\n    from crmcli.buying import k\n",
    "crmcli.buying": "from crmcli import tiers\n",
    "crmcli.cli": "def main():\n    from crmcli import tiers\n",
}
SHOP_README = """
| layer | module | what |
| --- | --- | --- |
| values | `__init__.py`, `errors.py` | x |
| storage | `db.py`, `settings.py` | x |
| rules | `tiers.py`, `buying.py` | x |
| cli | `cli/` | x |
"""


def _shop(**changed: str) -> list[Import]:
    packages = ("crmcli", "crmcli.cli")
    return imports_of(
        {
            m: (Path(m.replace(".", "/") + ("/__init__.py" if m in packages else ".py")), source)
            for m, source in {**SHOP, **changed}.items()
        }
    )


def test_the_checks_find_a_hidden_import_its_cycle_and_an_upward_import():
    shop = _shop()
    assert [(i.importer, i.imported) for i in hidden(shop)] == [("crmcli.tiers", "crmcli.buying")]
    assert cycle(shop) == ["crmcli.buying", "crmcli.tiers", "crmcli.buying"]
    layers = layer_table(SHOP_README, set(SHOP))
    assert upward(_shop(**{"crmcli.errors": "from crmcli import db\n"}), layers) == [
        Import("crmcli.errors", "crmcli.db", 1, local=False)
    ]
    fixed = _shop(**{"crmcli.tiers": "", "crmcli.buying": "from crmcli import tiers\n"})
    assert hidden(fixed) == [] and cycle(fixed) is None and upward(fixed, layers) == []


def test_a_lazy_import_is_checked_as_an_import():
    """`lazy_import("crmcli.x")` runs later, but it is an import all the same: in a
    function it is hidden, it can close a cycle, and it can point upwards."""
    lazy = "from crmcli.lazy import lazy_import\n"
    shop = _shop(
        **{"crmcli.lazy": "", "crmcli.tiers": f'{lazy}buying = lazy_import("crmcli.buying")\n'}
    )
    assert [(i.importer, i.imported, i.local) for i in shop if i.imported == "crmcli.buying"] == [
        ("crmcli.tiers", "crmcli.buying", False)
    ]
    assert cycle(shop) == ["crmcli.buying", "crmcli.tiers", "crmcli.buying"]
    hidden_lazy = _shop(
        **{"crmcli.lazy": "", "crmcli.tiers": f'{lazy}def f():\n    lazy_import("crmcli.buying")\n'}
    )
    assert [(i.importer, i.imported) for i in hidden(hidden_lazy)] == [
        ("crmcli.tiers", "crmcli.buying")
    ]
    upwards = _shop(
        **{"crmcli.lazy": "", "crmcli.errors": f'{lazy}db = lazy_import("crmcli.db")\n'}
    )
    layers = layer_table(
        SHOP_README.replace("`errors.py`", "`errors.py`, `lazy.py`"), set(SHOP) | {"crmcli.lazy"}
    )
    assert ("crmcli.errors", "crmcli.db") in [
        (i.importer, i.imported) for i in upward(upwards, layers)
    ]
    with pytest.raises(AssertionError, match="as written"):
        _shop(**{"crmcli.lazy": "", "crmcli.tiers": f"{lazy}x = lazy_import('crmcli.' + 'db')\n"})
    with pytest.raises(AssertionError, match=r"no module crmcli\.nowhere"):
        _shop(**{"crmcli.lazy": "", "crmcli.tiers": f'{lazy}x = lazy_import("crmcli.nowhere")\n'})


def test_the_agenda_s_lazy_imports_are_in_the_import_graph():
    lazy = {(i.importer, i.imported) for i in IMPORTS if i.lazy}
    assert {
        ("crmcli.agenda_sources", "crmcli.complaints"),
        ("crmcli.agenda", "crmcli.tiers"),
    } <= lazy


def test_the_layer_table_refuses_a_layer_out_of_order():
    with pytest.raises(AssertionError, match=r"together|out of order"):
        layer_table(SHOP_README.replace("| values | `__init__", "| rules | `__init__"), set(SHOP))
