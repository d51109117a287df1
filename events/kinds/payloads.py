"""Typed payloads: each known kind's payload class is made from its registry entry's fields, and the vocabularies.

A payload class is a frozen, slotted dataclass with one attribute per field (None for an optional field not
given), so the fields are stated once, in the registry (events/kinds/registry.py).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from .fields import FieldSpec, FieldType

NEEDS = ("people", "money", "skills", "materials", "signatures", "other")
URGENCIES = ("low", "normal", "high", "critical")
OUTCOMES = ("won", "lost", "ended")
PROCESSES = ("consensus", "consent", "advice", "sense_check", "vote")
PROCESS_POSITIONS = {
    "consensus": ("agree", "stand_aside", "block"),
    "consent": ("consent", "object"),
    "advice": ("advice",),
    "sense_check": ("thumbs_up", "thumbs_sideways", "thumbs_down"),
    "vote": ("vote",),
}
"""The positions each proposal process takes (a proposal without a process: consensus's, as before processes)."""
POSITIONS = tuple(p for positions in PROCESS_POSITIONS.values() for p in positions)
DECISION_OUTCOMES = ("adopted", "rejected", "deferred")

_PYTHON_TYPES: dict[FieldType, Any] = {
    FieldType.TEXT: str,
    FieldType.ID: bytes,
    FieldType.GROUP: bytes,
    FieldType.KEY: bytes,
    FieldType.TIME: int,
    FieldType.QUANTITY: int,
    FieldType.CHOICE: str,
    FieldType.CHOICES: tuple[str, ...],
    FieldType.TEXT_LIST: tuple[str, ...],
    FieldType.GROUP_LIST: tuple[bytes, ...],
    FieldType.BYTES: bytes,
    FieldType.BYTES_LIST: tuple[bytes, ...],
    FieldType.LANG: str,
}


def class_name(kind: str) -> str:
    """Return the payload class name of a kind: callout.published -> CalloutPublished."""
    return "".join(part.capitalize() for part in kind.replace("_", ".").split("."))


def payload_class(kind: str, fields: tuple[FieldSpec, ...]) -> type:
    """Return a frozen, slotted, keyword-only dataclass with one attribute per field of `kind`, in field order."""
    attributes = [
        (f.name, _PYTHON_TYPES[f.type]) if f.required else (f.name, _PYTHON_TYPES[f.type] | None, dataclasses.field(default=None))
        for f in fields
    ]
    cls = dataclasses.make_dataclass(class_name(kind), attributes, frozen=True, slots=True, kw_only=True)
    cls.__module__ = __name__
    cls.__doc__ = f"The typed payload of {kind}."
    return cls


@dataclass(frozen=True, slots=True)
class UnknownPayload:
    """The payload of a kind this implementation does not know: the event is valid, the payload not interpreted."""

    kind: str
    value: Any
