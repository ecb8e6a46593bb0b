"""Issue 9 section 7: the apps' dependency direction (README, 布局). An app may import its own
layer and the layers below it, never one above: a lower app that needs a higher one's work offers a
hook (a signal, an AppConfig.ready registration) instead. Imports inside functions count too —
a lazy import is the usual way round an import cycle, and a cycle is what this guards against."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Lowest first. config.urls is the composition root and may import anything; the rest of config
# (settings, Celery, middleware, backup) is infrastructure under every app.
LAYERS = [
    {"config"},
    {"web", "accounts", "audit"},
    # One aggregate: a project's state decides which of its nodes apply, and its transitions write
    # them; the nodes, 要素保障 and the node pages (milestones) read the project's fields.
    {"projects", "milestones"},
    {"reports"},
    {"notifications"},
]
LEVEL = {app: level for level, apps in enumerate(LAYERS) for app in apps}
COMPOSITION_ROOTS = {"config/urls.py", "config/wsgi.py", "config/asgi.py"}


def _imports(path: Path, package: list[str]):
    """Every module `path` imports, relative imports resolved, with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                yield ".".join(base + ([node.module] if node.module else [])), node.lineno
            else:
                yield node.module, node.lineno


def _sources():
    for app in LEVEL:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if relative.as_posix() in COMPOSITION_ROOTS:
                continue
            package = list(relative.with_suffix("").parts)
            if path.name != "__init__.py":
                package = package[:-1]
            yield app, relative, package


def upward_imports() -> list[str]:
    found = []
    for app, relative, package in _sources():
        for module, line in _imports(ROOT / relative, package):
            target = module.split(".")[0]
            if target in LEVEL and LEVEL[target] > LEVEL[app]:
                found.append(f"{relative}:{line} ({app}) imports {module} ({target}, a higher layer)")
    return found


def test_no_app_imports_a_higher_layer():
    assert upward_imports() == []


def test_every_app_has_a_layer():
    """A new app must be placed in LAYERS (and in the README) before it can be checked."""
    apps = {p.parent.name for p in ROOT.glob("*/apps.py")}
    assert apps <= set(LEVEL), f"apps without a layer: {sorted(apps - set(LEVEL))}"


@pytest.mark.parametrize("source, expected", [
    ("from reports.selectors import progress_1330\n", True),
    ("def f():\n    from notifications import services\n", True),
    ("from milestones.models import Node\n", False),
    ("from ..selectors import x\n", False),
])
def test_the_check_sees_module_and_lazy_imports(tmp_path, source, expected):
    """The guard itself: an upward import, also one inside a function, is found; a same-layer or
    relative one is not."""
    path = tmp_path / "example.py"
    path.write_text(source, encoding="utf-8")
    imported = [module.split(".")[0] for module, _ in _imports(path, ["projects", "views"])]
    assert any(LEVEL.get(m, -1) > LEVEL["projects"] for m in imported) is expected
