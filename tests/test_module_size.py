"""Modules stay small: one concept each, none over MAX_LINES lines (docs/ARCHITECTURE.md, CONVENTIONS habit 7)."""

from __future__ import annotations

from pathlib import Path

import pytest

MAX_LINES = 400
ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("events", "protocol", "audit", "node")


def modules() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


def test_every_package_has_modules() -> None:
    found = {path.relative_to(ROOT).parts[0] for path in modules()}
    assert found == set(PACKAGES)


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_is_small(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines, more than {MAX_LINES}: split it by concept"
