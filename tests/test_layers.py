"""The package's imports, read from its source (ast, every import statement,
those inside functions included): no cycle, and no module imports a module of a
higher layer. The layer order is written here, once, lowest first."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Source directories and the package each one is installed as.
SOURCES = {"neurosim": "neurosim", "topologies": "neurosim.topologies", "hw": "neurosim.hw",
           "experiments": "experiments"}

#: Layers, lowest first: a module may import modules of its own layer (without a
#: cycle) and of the layers before it, never of a later one. A name stands for
#: the module and everything under it; the longest name that matches wins.
LAYERS = (
    ("base", ("neurosim.validate", "neurosim.rng", "neurosim.resources", "neurosim.files",
              "neurosim.version", "neurosim._compile_notice")),
    ("datasets", ("neurosim.datasets",)),
    ("theory", ("neurosim.theory",)),
    ("ir", ("neurosim.patterns", "neurosim.network", "neurosim.graph", "neurosim.couplings", "neurosim.fields",
            "neurosim.compiled")),
    ("topologies", ("neurosim.topologies", "neurosim.spec")),
    ("engine", ("neurosim.engine",)),
    ("io", ("neurosim.io",)),
    ("learning", ("neurosim.learning",)),
    ("backends", ("neurosim.hw", "neurosim.continuous", "neurosim.backends", "neurosim.testing")),
    ("analysis", ("neurosim.analysis",)),
    ("api", ("neurosim",)),
    ("experiments", ("experiments", "neurosim.experiments")),
    ("cli", ("neurosim.cli",)),
)


def modules():
    """{module name: source file} of every module in SOURCES."""
    out = {}
    for directory, package in SOURCES.items():
        for path in sorted((ROOT / directory).rglob("*.py")):
            parts = [p for p in path.relative_to(ROOT / directory).with_suffix("").parts if p != "__init__"]
            out[".".join([package] + parts)] = path
    return out


MODULES = modules()


def imported(name, path):
    """The modules ``name`` imports: ``import a.b`` and ``from a import b`` name
    the module a.b when it exists (a submodule), else a (an attribute of it)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


GRAPH = {name: imported(name, path) for name, path in MODULES.items()}


def layer_of(name):
    """Index of the layer of module ``name`` (the longest matching entry of LAYERS)."""
    best = None
    for k, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (name == prefix or name.startswith(prefix + ".")) and (best is None or len(prefix) > best[1]):
                best = (k, len(prefix))
    return None if best is None else best[0]


def test_every_module_has_a_layer():
    assert [name for name in MODULES if layer_of(name) is None] == []


def test_no_upward_import():
    upward = [f"{name} ({LAYERS[layer_of(name)][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
              for name, targets in sorted(GRAPH.items()) for target in sorted(targets)
              if layer_of(target) > layer_of(name)]
    assert upward == []


def cycles(graph):
    """Every strongly connected component with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle():
    assert cycles(GRAPH) == []


def test_the_checks_can_fail():
    """The reader sees imports inside functions, and both checks catch a planted fault."""
    assert "neurosim.io" in GRAPH["neurosim.learning.checkpoint"]
    planted = {**GRAPH, "neurosim.engine.relax": GRAPH["neurosim.engine.relax"] | {"neurosim.learning.trainer"}}
    assert any("neurosim.engine.relax" in c for c in cycles(planted))
    assert layer_of("neurosim.learning.trainer") > layer_of("neurosim.engine.relax")
    assert layer_of("neurosim.topologies.cores") == layer_of("neurosim.spec")
    with pytest.raises(AssertionError):
        assert cycles({"a": {"b"}, "b": {"a"}}) == []
