"""The kind registry is the one source of what a kind means: every table elsewhere is what it says.

Walks events/kinds/registry.py: every kind has a projection that fits its collection and form metadata,
every collection is reachable and keyed as declared, and the auditor's and the web's derived tables
(own targets, scratch keying, form titles, labels and id choices) equal what the registry says.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from events import Identity, create_event
from events.kinds import (
    COLLECTION_SPECS,
    FIELD_LABELS,
    KINDS,
    OPEN_STATUS,
    OWN_TARGETS,
    PUBLISH_FAMILIES,
    Effect,
    FieldType,
    Fold,
    Key,
    KindSpec,
    build_payload,
    build_value,
)
from events.kinds.spec import modify, single
from events.readmodel.memory import MemoryView
from events.readmodel.projection import COLLECTIONS, handler_for, project
from events.readmodel.view import Put
from tests.events.test_kinds import SAMPLES

KINDS_MD = Path(__file__).resolve().parents[1] / "docs" / "KINDS.md"
ALICE = Identity.from_seed(bytes([7]) * 32)
BOB = Identity.from_seed(bytes([8]) * 32)
WITHOUT_READ_MODEL = {"key.commit", "key.rotate"}  # key events change who signs, not what the group says
WITHOUT_READ_MODEL |= {"sealed"}  # private events: only their recipients project them (events/readmodel/private.py)
# which folds each effect may write into (None: documents written once, without a log)
FITS = {
    Effect.CREATE: {Fold.LIFECYCLE},
    Effect.MODIFY: {Fold.LIFECYCLE},
    Effect.SINGLE: {None},
    Effect.APPEND: {Fold.LATEST, Fold.EDGE},
}


def _event(kind: str, fields: dict | None = None, author: Identity = ALICE):
    payload = build_payload(kind, SAMPLES[kind] if fields is None else fields)
    return create_event(author, kind=kind, payload=payload, timestamp=1_700_000_000_000, previous=None)


def test_every_kind_has_a_projection_that_fits_its_collection():
    for kind, spec in KINDS.items():
        projection = spec.projection
        if kind in WITHOUT_READ_MODEL:
            assert projection is None and handler_for(spec) is None, kind
            continue
        assert projection is not None, f"{kind} has no projection"
        assert handler_for(spec) is not None, kind
        if projection.effect is Effect.REDACT:
            assert projection.collection is None and spec.field("event").type is FieldType.ID
            continue
        collection = COLLECTION_SPECS[projection.collection]
        assert collection.fold in FITS[projection.effect], kind
        if projection.effect is Effect.MODIFY:
            target = spec.field(projection.target)
            assert target is not None and target.type is FieldType.ID and target.required, kind
            assert collection.entity == projection.target, kind
        if projection.effect is Effect.CREATE:
            assert projection.status, f"{kind} creates an entity without a status to start in"
        if projection.effect is Effect.APPEND:
            for part in collection.key:
                assert isinstance(part, Key) or (spec.field(part) and spec.field(part).required), (kind, part)
            if collection.fold is Fold.EDGE:
                assert (projection.status is None) != (projection.undoes is None), kind


def test_an_entry_that_does_not_fit_its_collection_is_refused():
    logged = next(c for c in COLLECTION_SPECS.values() if c.fold is Fold.LIFECYCLE)  # its documents keep a log
    bad = KindSpec("x.once", "x", "once", dict, (), "x", projection=single(logged.name))
    with pytest.raises(ValueError, match="does not fit"):
        handler_for(bad)
    edge = next(c for c in COLLECTION_SPECS.values() if c.fold is Fold.EDGE)  # nothing there to modify
    with pytest.raises(ValueError, match="does not fit"):
        handler_for(KindSpec("x.cancelled", "x", "cancelled", dict, (), "x", projection=modify(edge.name, "event")))
    with pytest.raises(ValueError, match="not a declared collection"):
        handler_for(KindSpec("x.y", "x", "y", dict, (), "x", projection=single("nowhere")))


def test_every_kind_users_publish_has_form_metadata():
    for kind, spec in KINDS.items():
        if spec.family in PUBLISH_FAMILIES:
            assert spec.title and spec.title[0].isupper(), f"{kind} has no form title"
        else:
            assert spec.system and not spec.title, kind
        for field in spec.fields:
            assert not field.label or field.label[0].isupper(), (kind, field.name)
            # one label per field name: forms and document views label a name the same everywhere
            assert field.label in ("", FIELD_LABELS.get(field.name)), (kind, field.name)


def test_every_collection_is_reachable_and_in_the_digest_order_of_the_docs():
    makes = (Effect.CREATE, Effect.SINGLE, Effect.APPEND)
    created = {s.projection.collection for s in KINDS.values() if s.projection and s.projection.effect in makes}
    assert created == set(COLLECTION_SPECS)
    assert tuple(COLLECTION_SPECS) == COLLECTIONS
    text = KINDS_MD.read_text(encoding="utf-8")
    order = re.search(r"for each collection in this order: (.*?);", text, re.S).group(1)
    assert [name.strip(" `\n") for name in order.split(",")] == list(COLLECTIONS)
    for name in COLLECTIONS:
        assert re.search(rf"^\| `{name}` \|", text, re.M), f"docs/KINDS.md has no read-model row for {name}"


def _creating_kind(name: str) -> str:
    makes = (Effect.CREATE, Effect.SINGLE, Effect.APPEND)
    return next(k for k, s in KINDS.items() if s.projection and s.projection.collection == name and s.projection.effect in makes)


@pytest.mark.parametrize("name", list(COLLECTION_SPECS))
def test_documents_are_keyed_and_refer_as_the_collection_declares(name):
    collection = COLLECTION_SPECS[name]
    kind = _creating_kind(name)
    event = _event(kind)
    [put] = project(event, MemoryView())
    assert isinstance(put, Put) and put.collection == name and put.author == ALICE.public_key
    payload = SAMPLES[kind]
    parts = {Key.EVENT: event.id, Key.AUTHOR: ALICE.public_key}
    key = b"".join(parts[p] if isinstance(p, Key) else build_value(kind, payload)[p] for p in collection.key)
    assert put.key == key
    expected_ref = next((put.doc[f] for f in collection.ref if put.doc.get(f) is not None), None)
    assert put.ref == expected_ref
    assert ("log" in put.doc) is (not collection.write_once)
    if collection.fold is Fold.LIFECYCLE:
        assert put.doc["status"] == OPEN_STATUS[name]


@pytest.mark.parametrize("kind", sorted(OWN_TARGETS))
def test_own_targets_are_the_modifying_kinds_and_touch_only_the_authors_entity(kind):
    assert {
        k: s.projection.target for k, s in KINDS.items() if s.projection and s.projection.effect is Effect.MODIFY
    } == OWN_TARGETS
    target = OWN_TARGETS[kind]
    collection = KINDS[kind].projection.collection
    creating = _creating_kind(collection)
    fields = {**SAMPLES[creating], **({"callout": SAMPLES["pledge.made"]["callout"]} if creating == "pledge.made" else {})}
    made = _event(creating, fields)
    view = MemoryView()
    view.project(made)
    change = {**SAMPLES[kind], target: made.id.hex()}
    assert project(_event(kind, change, author=BOB), view) == []  # another group's entity: ignored
    [put] = project(_event(kind, change), view)
    assert put.collection == collection and put.key == made.id


def test_the_auditors_tables_are_the_registrys():
    from audit import engine, findings, scratch

    assert findings.OWN_TARGETS is OWN_TARGETS
    assert not hasattr(engine, "_MODIFIES")
    assert list(scratch._NUMBER) == list(COLLECTIONS)


def test_the_web_forms_tables_are_the_registrys():
    from node.web.forms import build_form, label_for
    from node.web.options import ENTITY_FIELDS

    for kind, spec in KINDS.items():
        if spec.system:
            continue
        form = build_form(kind)
        assert form.title == spec.title
        for widget in form.widgets:
            assert widget.label == (FIELD_LABELS.get(widget.name) or label_for(widget.name))
    assert {f: c.name for f, c in ENTITY_FIELDS.items()} == {
        c.entity: c.name for c in COLLECTION_SPECS.values() if c.entity is not None
    }


def test_form_choices_follow_the_registry():
    from node.web.options import ENTITY_FIELDS, form_options

    view = MemoryView()
    made: dict[tuple[str, bytes], bytes] = {}
    for who in (ALICE, BOB):
        for name in ENTITY_FIELDS.values():
            kind = _creating_kind(name.name)
            event = _event(kind, author=who)
            view.project(event)
            made[(name.name, who.public_key)] = event.id
    view.project(_event("group.profile", author=BOB))  # a group list offers the groups with a profile
    own = ALICE.group_id
    for kind, spec in KINDS.items():
        if spec.system:
            continue
        options = form_options(view, kind, own)
        id_fields = {f.name for f in spec.fields if f.type is FieldType.ID and f.name in ENTITY_FIELDS}
        group_fields = {f.name for f in spec.fields if f.type in (FieldType.GROUP, FieldType.GROUP_LIST)}  # by name
        assert set(options) == id_fields | group_fields, kind
        for field in group_fields:
            assert own not in {value for value, _ in options.pop(field)}, kind
        for field, choices in options.items():
            collection = ENTITY_FIELDS[field].name
            mine_only = kind in OWN_TARGETS and collection in OPEN_STATUS
            expected = {made[(collection, ALICE.public_key)].hex()}
            if not mine_only:
                expected.add(made[(collection, BOB.public_key)].hex())
            assert {value for value, _ in choices} == expected, (kind, field)
