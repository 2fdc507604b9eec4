"""PyInstaller hook: facedesk's own package data and dynamically loaded modules.

- ``importlib.resources`` data: the Rekognition model JSON, the CLI's operation docs,
  vendored attribute models, Qt resources, the self-test photo.
- Alembic migrations: ``env.py`` and ``versions/*.py`` are executed by file path at run
  time, so they ship as data files (sources), and every module they import is added as a
  hidden import (read from their source with ``ast``) so the frozen importer can satisfy it.
- SQLAlchemy picks its dialect by URL at run time.
- facedesk itself imports some modules by name (``importlib.import_module`` in
  ``facedesk.engine``) and finds model packages by name (``resources.files``), so every
  facedesk module and those packages are listed explicitly.
"""

from __future__ import annotations

import ast
from pathlib import Path

from PyInstaller.utils.hooks import collect_data_files, collect_submodules, get_package_paths

_, _pkg_dir = get_package_paths("facedesk")
_MIGRATIONS = Path(_pkg_dir) / "storage" / "migrations"


def _imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # ``from alembic import op``: op may be a module, not an attribute.
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name != "__future__"}


def _importable(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


datas = collect_data_files(
    "facedesk",
    includes=[
        "service/*.json",
        # The command line's help texts (facedesk.cli.params): every facedesk-cli start reads it.
        "cli/*.json",
        "storage/migrations/*.mako",
        "engine/models/*",
        "qt/resources/**/*",
        "resources/**/*",
    ],
    excludes=["**/__pycache__/*", "**/*.pyc"],
)
# Sources on purpose: Alembic runs these files by path (collect_data_files skips .py by default).
datas += collect_data_files(
    "facedesk",
    include_py_files=True,
    includes=["storage/migrations/**/*.py"],
    excludes=["**/__pycache__/*"],
)

_migration_imports: set[str] = set()
for _script in sorted(_MIGRATIONS.rglob("*.py")):
    _migration_imports |= _imports_of(_script)

_own_modules = collect_submodules("facedesk", filter=lambda name: ".migrations" not in name)

hiddenimports = sorted(
    set(_own_modules)
    | {
        "face_recognition_models",
        "ai_edge_litert.interpreter",
        "onnxruntime",
        "facedesk.storage.orm",
        "sqlalchemy.dialects.sqlite",
        "sqlalchemy.dialects.sqlite.pysqlite",
        "alembic.context",
        "alembic.op",
        "alembic.runtime.migration",
        "alembic.script",
        "alembic.ddl.sqlite",
    }
    | {name for name in _migration_imports if _importable(name)}
)
