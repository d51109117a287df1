"""The layers import one way: events/ and protocol/ never pull in aiohttp, eventsourcing or node; audit/ never node or aiohttp."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

FORBIDDEN = {
    "events": ("aiohttp", "eventsourcing", "node", "protocol", "psycopg", "sqlite3", "asyncio"),
    "protocol": ("aiohttp", "eventsourcing", "node", "psycopg", "sqlite3"),
    # the auditor's scratch files are SQLite; a node's data dir and HTTP transport are passed in by `solnet audit`
    "audit": ("aiohttp", "eventsourcing", "node", "psycopg"),
}


def imported_by(package: str) -> set[str]:
    code = (
        "import importlib, json, pkgutil, sys\n"
        f"pkg = importlib.import_module({package!r})\n"
        "for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "    importlib.import_module(m.name)\n"
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(json.loads(out))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_stay_in_their_layer(package: str) -> None:
    modules = imported_by(package)
    assert package in modules
    assert not modules & set(FORBIDDEN[package]), f"{package} imports {sorted(modules & set(FORBIDDEN[package]))}"


def test_the_walk_sees_submodule_imports() -> None:
    # msgpack and cryptography are imported only by submodules of events, never by its stdlib-only parts.
    assert {"msgpack", "cryptography"} <= imported_by("events")
