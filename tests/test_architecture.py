"""The package keeps its shape (docs/architecture.md): layers import only the layers below them,
no module imports itself round a circle, and no module grows past one idea unannounced.

The layer and sibling contracts are import-linter's (``[tool.importlinter]`` in pyproject.toml);
the circle check here also sees a package's ``__init__`` and its own modules, which import-linter's
sibling contract does not, and function-level imports, which are imports all the same."""
from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIM = ROOT / "sim"
MAX_LINES = 700
# a longer module must say in its docstring why it is one idea: "One idea: ..."
ONE_IDEA = "One idea:"


def _modules() -> dict[str, Path]:
    out = {}
    for p in SIM.rglob("*.py"):
        parts = list(p.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in modules else base)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m in modules and m != name}


def _circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(edges[w]))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def test_no_import_circle_between_the_projects_modules():
    modules = _modules()
    edges = {m: _imports(m, p, modules) for m, p in modules.items()}
    assert _circles(edges) == []


def test_the_circle_check_finds_a_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _circles({"a": {"b"}, "b": set()}) == []


def test_layers_point_one_way():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert lint, "import-linter is a dev dependency (pip install -e '.[dev]')"
    out = subprocess.run([lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def test_no_module_past_one_idea_unannounced():
    long = []
    for name, path in _modules().items():
        text = path.read_text(encoding="utf-8")
        n = text.count("\n")
        if n > MAX_LINES and ONE_IDEA not in (ast.get_docstring(ast.parse(text)) or ""):
            long.append(f"{name}: {n} lines")
    assert long == []


def _doc() -> str:
    return (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def test_the_architecture_page_names_the_layers_of_the_contract_in_order():
    import re
    import tomllib

    contract = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    layers = next(c for c in contract if c["type"] == "layers")["layers"]
    from_contract = [name.strip().removeprefix("sim.") for layer in reversed(layers) for name in layer.split("|")]
    line = next(l for l in _doc().splitlines() if l.startswith("util ─►"))
    from_page = re.findall(r"[a-z]+", line)
    assert from_page == from_contract


def test_every_module_the_architecture_page_names_exists():
    import re

    missing = []
    for row in _doc().splitlines():
        m = re.match(r"\| `sim/(\w+)/`", row)
        if not m:
            continue
        folder = SIM / m.group(1)
        assert folder.is_dir(), row[:60]
        for name in re.findall(r"`([\w/]+\.py)`", row):
            if not name.startswith("sim/") and not (folder / name).exists():
                missing.append(f"sim/{m.group(1)}/{name}")
    for path in re.findall(r"`(sim/[\w/]+(?:\.py|/))`", _doc()):
        if not (ROOT / path).exists():
            missing.append(path)
    assert missing == []
