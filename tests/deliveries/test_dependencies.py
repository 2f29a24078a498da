"""Dependencies point one way: webhooks uses deliveries, never the reverse.

No database: this parses the source files.
"""

import ast
from pathlib import Path

import deliveries

PACKAGE = Path(deliveries.__file__).parent


def _imported_modules(source: Path) -> set[str]:
    """Every absolute module `source` imports, at the top or inside a function."""
    modules: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"), filename=str(source))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def test_no_module_under_deliveries_imports_webhooks():
    offenders = {
        str(source.relative_to(PACKAGE.parent)): sorted(
            module
            for module in _imported_modules(source)
            if module == "webhooks" or module.startswith("webhooks.")
        )
        for source in sorted(PACKAGE.rglob("*.py"))
    }

    assert {path: found for path, found in offenders.items() if found} == {}


def test_the_import_check_sees_imports_inside_functions(tmp_path):
    source = tmp_path / "lazy.py"
    source.write_text("def f():\n    from webhooks.api import InboundEventViewSet\n")

    assert _imported_modules(source) == {"webhooks.api"}
