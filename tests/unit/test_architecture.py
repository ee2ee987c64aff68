"""The shape of the code, checked from the source text: builder's import graph has no cycle and
keeps its layers, no module outgrows its allowance, and no block of lines is copied.

Everything here reads files only (ast, no imports of builder), so it is fast and a failure names
the modules, the cycle or the file:line pairs at fault.
"""

import ast
import hashlib
import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "builder"

MAX_LINES = 250
# module -> why it may be longer than MAX_LINES. Keep it empty; an entry needs a reason.
OVERSIZED_ALLOWED = {}

WINDOW = 6
DUPLICATE_ROOTS = ("builder", "provision", "tests")
# (file, file) -> why those two may share a block. Keep it tiny; an entry needs a reason.
DUPLICATES_ALLOWED = {
    ("builder/model/machines.json", "builder/model/machines.json"):
        "data, not code: the machine table's records share field values (the same CPythons, "
        "memory, cpus and arch for every public box)",
}


# --- the import graph -------------------------------------------------------------------------


def module_files(package_dir=PACKAGE):
    """{dotted module name: path} for every .py file of the package (packages by __init__)."""
    found = {}
    for path in sorted(package_dir.rglob("*.py")):
        rel = path.relative_to(package_dir.parent).with_suffix("")
        parts = list(rel.parts)
        if "__pycache__" in parts or "_data" in parts:
            continue
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imported_modules(name, path, modules):
    """The builder modules that module `name` imports anywhere in its body (functions too)."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    targets = set()

    def nearest(dotted):
        # `import builder.a.b` or `from builder.a import attr`: the deepest existing module.
        while dotted and dotted not in modules:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == PACKAGE.name:
                    targets.add(nearest(alias.name))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                if node.level > 1:
                    base_parts = base_parts[:-(node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            if base.split(".")[0] != PACKAGE.name:
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                targets.add(sub if sub in modules else nearest(base))
    targets.discard(None)
    targets.discard(name)
    return targets


def import_graph():
    modules = module_files()
    return {name: imported_modules(name, path, modules) for name, path in modules.items()}


def find_cycle(graph):
    """A cycle as a path [a, b, ..., a], or None. Depth-first with the path on a stack."""
    WHITE, GREY, BLACK = 0, 1, 2
    colour = defaultdict(int)
    for start in sorted(graph):
        if colour[start] != WHITE:
            continue
        stack = [(start, iter(sorted(graph.get(start, ()))))]
        path = [start]
        colour[start] = GREY
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                colour[node] = BLACK
                stack.pop()
                path.pop()
            elif colour[child] == GREY:
                return path[path.index(child):] + [child]
            elif colour[child] == WHITE:
                colour[child] = GREY
                path.append(child)
                stack.append((child, iter(sorted(graph.get(child, ())))))
    return None


def reachable(graph, start):
    seen, todo = set(), [start]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


@pytest.fixture(scope="module")
def graph():
    return import_graph()


def test_cycle_finder_finds_cycles_and_only_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"a"}}) == ["a", "a"]
    assert find_cycle({"x": {"a"}, "a": {"b", "d"}, "b": {"c"}, "c": {"d"}, "d": {"b"}}) == \
        ["b", "c", "d", "b"]
    # diamonds and shared leaves are no cycle
    assert find_cycle({"a": {"b", "c"}, "b": {"d"}, "c": {"d"}, "d": set()}) is None
    assert find_cycle({}) is None


def test_import_resolution_on_a_synthetic_package(tmp_path):
    """Relative imports resolve against the package; `from . import x` names module x."""
    pkg = tmp_path / "builder"
    for rel, text in {
        "__init__.py": "",
        "errors.py": "",
        "model/__init__.py": "from . import arch\n",
        "model/arch.py": "from ..errors import X\n",
        "model/machine.py": "def f():\n    from .arch import Arch\n    import builder.errors\n",
        "run.py": "from . import model\nfrom .model import machine, arch\nimport os\n",
        "cycle/__init__.py": "",
        "cycle/a.py": "from .b import y\n",
        "cycle/b.py": "from ..cycle import a\n",
    }.items():
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_text(text)
    modules = module_files(pkg)
    g = {n: imported_modules(n, p, modules) for n, p in modules.items()}
    assert g["builder.model"] == {"builder.model.arch"}
    assert g["builder.model.arch"] == {"builder.errors"}
    assert g["builder.model.machine"] == {"builder.model.arch", "builder.errors"}
    assert g["builder.run"] == {"builder.model", "builder.model.machine", "builder.model.arch"}
    assert find_cycle(g) == ["builder.cycle.a", "builder.cycle.b", "builder.cycle.a"]


def test_the_graph_sees_the_real_imports(graph):
    """Guard against a graph that is silently empty (which would pass every check below)."""
    assert len(graph) >= 20
    assert "builder.planner" in graph["builder.orchestration.run"]
    assert "builder.log" in graph["builder.orchestration.run"]  # from .. import log, planner
    assert "builder.model.machine" in graph["builder.planner"]


def test_no_import_cycle(graph):
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


CORE = {"builder.errors", "builder.paths", "builder.digest", "builder.log", "builder.redact"}


def test_core_modules_import_only_each_other(graph):
    bad = {m: sorted(graph[m] - CORE) for m in CORE if graph[m] - CORE}
    assert not bad, f"errors/paths/digest/log must import only each other: {bad}"


def test_model_imports_only_model_errors_and_paths(graph):
    allowed = {"builder.errors", "builder.paths"}
    bad = {}
    for m, deps in graph.items():
        if m == "builder.model" or m.startswith("builder.model."):
            extra = {d for d in deps if not (d == "builder.model" or
                                             d.startswith("builder.model.")) and d not in allowed}
            if extra:
                bad[m] = sorted(extra)
    assert not bad, f"the model must import only itself, errors and paths: {bad}"


def test_only_frontends_import_frontends(graph):
    def front(m):
        return m == "builder.frontends" or m.startswith("builder.frontends.")

    bad = {m: sorted(filter(front, deps)) for m, deps in graph.items()
           if not front(m) and any(map(front, deps))}
    assert not bad, f"only builder.frontends may import builder.frontends: {bad}"


IMPURE = ("builder.providers", "builder.transport", "builder.stages", "builder.host")


def test_planner_is_pure(graph):
    """Neither directly nor through another module does the planner reach a provider, the
    transport, the stages or host preparation."""
    reached = reachable(graph, "builder.planner")
    bad = sorted(m for m in reached if any(m == p or m.startswith(p + ".") for p in IMPURE))
    assert not bad, f"builder.planner reaches {bad}"
    tree = ast.parse((PACKAGE / "planner.py").read_text())
    outside = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
               for a in n.names}
    outside |= {n.module.split(".")[0] for n in ast.walk(tree)
                if isinstance(n, ast.ImportFrom) and not n.level and n.module}
    assert not outside & {"subprocess", "socket", "paramiko", "fabric", "vagrant", "shutil"}


# --- module size ------------------------------------------------------------------------------


def test_no_module_is_oversized():
    sizes = {name: len(path.read_text().splitlines()) for name, path in module_files().items()}
    over = {m: n for m, n in sizes.items() if n > MAX_LINES and m not in OVERSIZED_ALLOWED}
    assert not over, f"modules over {MAX_LINES} lines (split them or allow-list with a " \
                     f"reason): {over}"
    stale = {m for m in OVERSIZED_ALLOWED if sizes.get(m, 0) <= MAX_LINES}
    assert not stale, f"allow-listed but no longer oversized (remove): {sorted(stale)}"


# --- copied blocks ----------------------------------------------------------------------------

COMMENT = re.compile(r"^(#|//)")
IMPORT = re.compile(r"^(import\s+\w|from\s+[\w.]+\s+import\s)")


def normalised(text):
    """[(line number, stripped line)] without blank, comment, import or punctuation-only
    lines."""
    kept = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if (not line or COMMENT.match(line) or IMPORT.match(line)
                or not any(c.isalnum() for c in line)):
            continue
        kept.append((number, line))
    return kept


def text_files(roots=DUPLICATE_ROOTS, base=ROOT):
    for root in roots:
        for path in sorted((base / root).rglob("*")):
            if (path.is_file() and "__pycache__" not in path.parts and "_data" not in path.parts
                    and path.suffix not in (".pyc", ".gz", ".whl", ".zip")):
                try:
                    yield path, path.read_text()
                except UnicodeDecodeError:
                    continue


def duplicate_blocks(files, window=WINDOW):
    """[(a, line, b, line)]: where a run of `window` identical normalised lines starts in two
    places (across files, or non-overlapping within one). One entry per copied block."""
    seen = defaultdict(list)  # window digest -> [(file, index)]
    lines_of = {}
    for name, text in files:
        lines = normalised(text)
        lines_of[name] = lines
        for i in range(len(lines) - window + 1):
            key = hashlib.sha1("\n".join(l for _, l in lines[i:i + window]).encode()).digest()
            seen[key].append((name, i))
    pairs = set()
    for places in seen.values():
        for x, (fa, ia) in enumerate(places):
            for fb, ib in places[x + 1:]:
                if fa != fb or abs(ia - ib) >= window:
                    pairs.add((fa, ia, fb, ib))
    starts = [p for p in pairs if (p[0], p[1] - 1, p[2], p[3] - 1) not in pairs]
    return sorted((fa, lines_of[fa][ia][0], fb, lines_of[fb][ib][0])
                  for fa, ia, fb, ib in starts)


def test_duplicate_finder_finds_copies_and_ignores_noise():
    block = "\n".join(f"value_{i} = compute({i})" for i in range(6))
    noise = "import os\nfrom x import y\n# a comment\n\n    )\n]\n"
    a = ("a.py", "start()\n" + block + "\nend()\n")
    b = ("b.py", "other()\n" + noise + block.replace("\n", "\n" + noise, 2) + "\n")
    assert duplicate_blocks([a, b]) == [("a.py", 2, "b.py", 8)]
    assert duplicate_blocks([a, ("c.py", block.rsplit("\n", 1)[0])]) == []  # only 5 lines
    within = ("d.py", block + "\nmiddle()\n" + block + "\n")
    assert duplicate_blocks([within]) == [("d.py", 1, "d.py", 8)]
    assert duplicate_blocks([("e.py", "x()\n" * 7)]) == []  # overlapping windows only
    longer = "\n".join(f"v{i}()" for i in range(12))
    assert len(duplicate_blocks([("f.py", longer), ("g.py", longer)])) == 1  # one report


def test_no_copied_blocks():
    files = [(str(p.relative_to(ROOT)), t) for p, t in text_files()]
    found = [f"{a}:{la} and {b}:{lb}" for a, la, b, lb in duplicate_blocks(files)
             if (a, b) not in DUPLICATES_ALLOWED and (b, a) not in DUPLICATES_ALLOWED]
    assert not found, f"blocks of {WINDOW}+ identical lines in {', '.join(DUPLICATE_ROOTS)} " \
                      "(factor them out): " + "; ".join(found)
