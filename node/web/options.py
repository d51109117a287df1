"""Choices for the id fields of forms (which campaign, callout, assembly...), read from the read models.

Which collection an id field names, which entities are live and which must be the node's own all come from
the kind registry (events/kinds/registry.py). Blocking: run through NodeService.query.
"""

from __future__ import annotations

from typing import Any

from events.kinds import COLLECTION_SPECS, KINDS, OPEN_STATUS, OWN_TARGETS, Collection, FieldType
from events.readmodel.view import ViewReader

from .. import queries
from ..paging import PageRequest

Options = dict[str, list[tuple[str, str]]]
CHOICES = 200
ENTITY_FIELDS: dict[str, Collection] = {c.entity: c for c in COLLECTION_SPECS.values() if c.entity}
"""Collections by the name of the id fields that point at their documents (campaign -> campaigns, ...)."""


def _label(doc: dict[str, Any], fallback: str) -> str:
    title = doc.get("title") or doc.get("offer") or fallback
    who = doc.get("author_name")
    return f"{title} ({who})" if who else str(title)


def form_options(view: ViewReader, kind: str, own_group: str) -> Options:
    """Return `{field: [(id hex, label), ...]}` for the id fields of `kind`: live entities, the node's own where required.

    A form that changes one of the node's own entities (OWN_TARGETS) offers only the node's own entities with
    a lifecycle; entities are live while in the status they start in (OPEN_STATUS).
    """
    own = kind in OWN_TARGETS
    out: Options = {}
    for field in KINDS[kind].fields:
        if field.type in (FieldType.GROUP, FieldType.GROUP_LIST):  # groups by name (the first CHOICES by name)
            groups, _ = queries.list_group_docs(view, PageRequest(CHOICES))
            out[field.name] = [(g["group_id"], g.get("name") or g["group_id"]) for g in groups if g["group_id"] != own_group]
            continue
        collection = ENTITY_FIELDS.get(field.name) if field.type is FieldType.ID else None
        if collection is None:
            continue
        live = OPEN_STATUS.get(collection.name)
        # the newest CHOICES live ones (a node may hold thousands; older ones can still be named in the API)
        author = own_group if own and live else None
        found = queries.list_docs(view, collection.name, PageRequest(CHOICES), author=author, status=live)
        out[field.name] = [(d["id"], _label(d, field.name)) for d in found.items]
    return out
