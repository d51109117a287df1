"""Domain kinds: the registry of every kind (schema, projection, form), parsing that names the bad field, friendly building."""

from .fields import FieldSpec, FieldType
from .payloads import DECISION_OUTCOMES, NEEDS, OUTCOMES, POSITIONS, URGENCIES, UnknownPayload
from .registry import (
    COLLECTION_SPECS,
    FAMILIES,
    FIELD_LABELS,
    KINDS,
    OPEN_STATUS,
    OWN_TARGETS,
    PUBLISH_FAMILIES,
    kind_for,
    kind_spec,
)
from .schema import (
    build_payload,
    build_value,
    decode_payload,
    friendly_payload,
    friendly_value,
    parse_event_payload,
    parse_payload,
    payload_is_valid,
    payload_value,
    valid_payload_value,
)
from .spec import Collection, Effect, Fold, Key, KindSpec, Projection

__all__ = [
    "COLLECTION_SPECS",
    "DECISION_OUTCOMES",
    "FAMILIES",
    "FIELD_LABELS",
    "KINDS",
    "NEEDS",
    "OPEN_STATUS",
    "OUTCOMES",
    "OWN_TARGETS",
    "POSITIONS",
    "PUBLISH_FAMILIES",
    "URGENCIES",
    "Collection",
    "Effect",
    "FieldSpec",
    "FieldType",
    "Fold",
    "Key",
    "KindSpec",
    "Projection",
    "UnknownPayload",
    "build_payload",
    "build_value",
    "decode_payload",
    "friendly_payload",
    "friendly_value",
    "kind_for",
    "kind_spec",
    "parse_event_payload",
    "parse_payload",
    "payload_is_valid",
    "valid_payload_value",
    "payload_value",
]
