"""The layers import one way: events/ and protocol/ never pull in aiohttp, eventsourcing or node; audit/ never node or aiohttp.

events/ imports nothing but the standard library, cryptography, msgpack, ormsgpack and nacl (PyNaCl).
"""

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


# Besides the standard library, the pure core may import only these: msgpack (canonical encoding), ormsgpack (the
# same bytes for read-model documents, ~8x faster: events/readmodel/digest.py's pack_document, which stores and the
# auditor write with), cryptography (keys, PEM, signing) and nacl, whose libsodium verifies Ed25519 at twice
# cryptography's rate per core and is the rule docs/PROTOCOL.md §2 defines (events/ed25519.py).
EVENTS_LIBRARIES = {"cryptography", "msgpack", "nacl", "ormsgpack"}


def test_events_imports_only_the_standard_library_and_its_four_libraries() -> None:
    modules = imported_by("events")
    # (names with a leading underscore are the libraries' native parts: _cffi_backend, _sodium, _openssl)
    others = {m for m in modules - set(sys.stdlib_module_names) if not m.startswith("_")} - {"events", "cython_runtime"}
    assert others <= EVENTS_LIBRARIES, f"events imports {sorted(others - EVENTS_LIBRARIES)}"


def test_the_walk_sees_submodule_imports() -> None:
    # the libraries are imported only by submodules of events, never by its stdlib-only parts.
    assert imported_by("events") >= EVENTS_LIBRARIES
