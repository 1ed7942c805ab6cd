"""The package's layering: imports run one way, and no module imports its own importer.

Layers, left to right: ``errors, poses, camera, _atomic, _version`` -> ``io`` -> ``mouse`` ->
``synth`` -> ``nets`` -> ``lift`` -> ``analysis`` -> ``integrations`` (adapters to other tools,
e.g. DeepLabCut-Live) -> ``cli`` (the ``dlc_lifter.cli``
package, ``demo`` and the package facade). A
module may import its own layer and those to its left, never to its right, and never
``dlc_lifter`` itself from inside the package. Every import counts, also those inside
functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "dlc_lifter"
LAYERS = ("base", "io", "mouse", "synth", "nets", "lift", "analysis", "integrations", "cli")
#: Imports that cross the layers the wrong way today, each with its reason; the list can
#: only shrink (a new one fails the test).
KNOWN_EXCEPTIONS: dict[tuple[str, str], str] = {}


def layer_of(module: str) -> str:
    """The layer of a ``dlc_lifter`` module name."""
    parts = module.split(".")
    if len(parts) == 1 or parts[1] in ("cli", "demo", "__main__"):
        return "cli"
    return parts[1] if parts[1] in LAYERS else "base"


def module_name(path: Path, root: Path = PACKAGE) -> str:
    rel = path.relative_to(root.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, root: Path = PACKAGE) -> set[str]:
    """``dlc_lifter`` modules a file imports (absolute and relative, anywhere in it)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    me = module_name(path, root)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == "dlc_lifter"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                name = f"{base}.{node.module}" if node.module else base
            else:
                name = node.module or ""
            if name.split(".")[0] == "dlc_lifter":
                out.add(name)
    return out


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    return {module_name(p, root): imports_of(p, root) for p in sorted(root.rglob("*.py"))}


def violations(graph: dict[str, set[str]]) -> list[str]:
    """Every import that runs right to left, or back into the package facade."""
    bad = []
    for mod, targets in graph.items():
        for target in sorted(targets):
            if (mod, target) in KNOWN_EXCEPTIONS or target == mod:
                continue
            if target == "dlc_lifter" and layer_of(mod) != "cli":
                bad.append(f"{mod} imports the package facade dlc_lifter")
            elif LAYERS.index(layer_of(target)) > LAYERS.index(layer_of(mod)):
                bad.append(f"{mod} ({layer_of(mod)}) imports {target} ({layer_of(target)})")
    return bad


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Import cycles between modules (package facades and their children left out)."""
    edges = {m: {t for t in ts if t in graph and not m.startswith(t + ".")
                 and not t.startswith(m + ".")} for m, ts in graph.items()}
    found, state, stack = [], {}, []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                found.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    return found


def test_imports_run_one_way() -> None:
    assert violations(import_graph()) == []


def test_known_exceptions_still_exist() -> None:
    graph = import_graph()
    stale = [k for k in KNOWN_EXCEPTIONS if k[1] not in graph.get(k[0], set())]
    assert stale == [], f"remove these mended exceptions from KNOWN_EXCEPTIONS: {stale}"


def test_no_import_cycles() -> None:
    assert cycles(import_graph()) == []


def test_the_check_catches_a_forbidden_import(tmp_path: Path) -> None:
    """A module of ``io`` importing ``lift`` is reported (the check is not vacuous)."""
    fake = tmp_path / "dlc_lifter"
    (fake / "io").mkdir(parents=True)
    (fake / "lift").mkdir()
    for f in ("__init__.py", "io/__init__.py", "lift/__init__.py", "lift/lifter.py"):
        (fake / f).write_text("")
    (fake / "io" / "dlc.py").write_text("def f():\n    from dlc_lifter.lift.lifter import x\n")
    (fake / "lift" / "lifter.py").write_text("from ..io import dlc\n")
    assert violations(import_graph(fake)) == [
        "dlc_lifter.io.dlc (io) imports dlc_lifter.lift.lifter (lift)"]


@pytest.mark.parametrize("module,layer", [("dlc_lifter.cli", "cli"),
                                          ("dlc_lifter.cli.lift", "cli"),
                                          ("dlc_lifter.lift.options", "lift"),
                                          ("dlc_lifter.lift.lifter", "lift"),
                                          ("dlc_lifter.camera", "base"),
                                          ("dlc_lifter.integrations.dlclive",
                                           "integrations"),
                                          ("dlc_lifter", "cli")])
def test_layer_of(module: str, layer: str) -> None:
    assert layer_of(module) == layer
