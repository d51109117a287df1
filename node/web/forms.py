"""Web forms generated from the kinds' field specs: widgets, labels, reading posted values, errors per field."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from events.kinds import FIELD_LABELS, KINDS, PUBLISH_FAMILIES, FieldSpec, FieldType, KindSpec, input_errors

from ..errors import RequestError
from ..i18n.post_languages import language_choices
from .local_time import input_value, is_local_input, parse_local

ONE_PER_LINE = "one per line"


def registry_words() -> list[str]:
    """Return every text the forms show from the kind registry (labels, help, titles, choices): the catalogues'
    message ids for them (tools/i18n.py adds them; the registry itself stays free of translation)."""
    words = {ONE_PER_LINE}
    for spec in KINDS.values():
        words.update((kind_title(spec), Form(spec).title, spec.summary.capitalize()))
        for fs in spec.fields:
            words.update((fs.label or label_for(fs.name), fs.help, *(choice_label(c) for c in fs.choices)))
    words.update(FIELD_LABELS.values())
    words.update(label_for(family) for family in PUBLISH_FAMILIES)
    return sorted(w for w in words if w)


def label_for(name: str) -> str:
    """Return the human label of a payload field (the registry's, else its name with spaces, capitalised)."""
    return FIELD_LABELS.get(name) or name.replace("_", " ").capitalize()


def kind_title(spec: KindSpec) -> str:
    """Return the heading of a kind's form: the registry's title, else its summary."""
    return spec.title or spec.summary


def choice_label(value: str) -> str:
    """Return the human label of a choice value (stand_aside -> Stand aside)."""
    return value.replace("_", " ").capitalize()


@dataclass(frozen=True, slots=True)
class Widget:
    """One form control: the field it fills, how it is drawn, its current value(s), options and error."""

    spec: FieldSpec
    control: str  # input, textarea, select, checkboxes, datetime, number, hidden
    label: str
    value: Any = ""
    options: tuple[tuple[str, str], ...] = ()
    error: str | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def required(self) -> bool:
        return self.spec.required

    @property
    def help(self) -> str:
        """The registry's help of the field (a message id, translated where it is shown); a time's zone is added there."""
        if self.spec.type in (FieldType.TEXT_LIST, FieldType.GROUP_LIST):
            return self.spec.help or ONE_PER_LINE
        return self.spec.help

    @property
    def values(self) -> Sequence[str]:
        """The chosen values of a multi-choice control."""
        return self.value if isinstance(self.value, (list, tuple)) else [self.value] if self.value else []


@dataclass(slots=True)
class Form:
    """A kind's form: its widgets in spec order, plus an error not tied to any shown field."""

    kind: KindSpec
    widgets: list[Widget] = field(default_factory=list)
    error: str | None = None

    @property
    def title(self) -> str:
        return self.kind.title or self.kind.summary.capitalize()

    @property
    def has_errors(self) -> bool:
        return self.error is not None or any(w.error for w in self.widgets)


def _control(spec: FieldSpec, options: Mapping[str, Sequence[tuple[str, str]]], hidden: set[str]) -> str:
    if spec.name in hidden:
        return "hidden"
    t = spec.type
    if t is FieldType.TEXT:
        return "textarea" if (spec.max_length or 0) > 300 else "input"
    if t is FieldType.GROUP_LIST:
        return "checkboxes" if options.get(spec.name) else "textarea"
    if t is FieldType.TEXT_LIST:
        return "textarea"
    if t is FieldType.CHOICE:
        return "select"
    if t is FieldType.CHOICES:
        return "checkboxes"
    if t is FieldType.TIME:
        return "datetime"
    if t is FieldType.QUANTITY:
        return "number"
    if t in (FieldType.ID, FieldType.GROUP, FieldType.LANG) and spec.name in options:
        return "select"
    if t is FieldType.LANG:  # a form shown without a reader's language keeps what it was given, unseen
        return "hidden"
    return "input"


def build_form(
    kind: str,
    values: Mapping[str, Any] | None = None,
    *,
    errors: Mapping[str, str] | None = None,
    options: Mapping[str, Sequence[tuple[str, str]]] | None = None,
    hidden: Sequence[str] = (),
    form_error: str | None = None,
    reader: str | None = None,
) -> Form:
    """Return the form of `kind` with the given values kept, options for id selects, and errors by field name.

    With `reader` (the page's language), a post's language is a select of languages named in it."""
    spec = KINDS[kind]
    values = values or {}
    errors = errors or {}
    options = dict(options or {})
    lang = spec.field("lang")
    if reader and lang is not None and lang.name not in hidden:
        chosen = values.get(lang.name)
        options[lang.name] = language_choices(reader, chosen if isinstance(chosen, str) and chosen else None)
    form = Form(spec, error=form_error)
    defaults = dict(spec.defaults)
    for fs in spec.fields:
        control = _control(fs, options, set(hidden))
        value = values.get(fs.name, defaults.get(fs.name, [] if control == "checkboxes" else ""))
        opts: tuple[tuple[str, str], ...] = ()
        if fs.type in (FieldType.CHOICE, FieldType.CHOICES):
            opts = tuple((c, choice_label(c)) for c in fs.choices)
        elif control == "checkboxes":  # a group list: the known groups
            opts = tuple(options[fs.name])
            value = [value] if isinstance(value, str) and value else value
        elif control == "select":
            opts = tuple(options[fs.name])
            if value and value not in {v for v, _ in opts}:
                opts = (*opts, (str(value), str(value)))  # keep what was entered even if it is not a known one
        form.widgets.append(Widget(fs, control, fs.label or label_for(fs.name), value, opts, errors.get(fs.name)))
    return form


def read_fields(kind: str, posted: Any) -> dict[str, Any]:
    """Return the friendly field values of `kind` from posted form data (a MultiDict), as typed by the person.

    Checkbox groups give lists; datetime-local values stay as typed (checked_input reads them in the node's zone).
    """
    spec = KINDS[kind]
    out: dict[str, Any] = {}
    for fs in spec.fields:
        if fs.type is FieldType.CHOICES:
            out[fs.name] = [v for v in posted.getall(fs.name, []) if isinstance(v, str)]
            continue
        if fs.type is FieldType.GROUP_LIST:  # checkboxes (several values) or one text of ids
            given = [v for v in posted.getall(fs.name, []) if isinstance(v, str)]
            out[fs.name] = given[0] if len(given) == 1 else given
            continue
        raw = posted.get(fs.name, "")
        out[fs.name] = raw if isinstance(raw, str) else ""
    return out


def checked_input(kind: str, fields: Mapping[str, Any], zone: ZoneInfo) -> tuple[dict[str, Any], dict[str, str]]:
    """Return (the input for build_payload, every error of the form by field, worded for the page)."""
    spec = KINDS[kind]
    out = dict(fields)
    errors: dict[str, str] = {}
    for fs in spec.fields:
        raw = out.get(fs.name)
        if fs.type is FieldType.TIME and isinstance(raw, str) and is_local_input(raw):
            try:
                out[fs.name] = parse_local(raw, zone, field=fs.name).isoformat()
            except RequestError as exc:
                errors[fs.name] = field_message(exc.message, fs.name)
    rest = {k: v for k, v in out.items() if k not in errors}
    for name, message in input_errors(kind, rest).items():
        errors.setdefault(name, field_message(message, name))
    return out, errors


def time_input_value(ms: int | None, zone: ZoneInfo) -> str:
    """Return a datetime-local input value in the node's time zone for milliseconds since the epoch."""
    return input_value(ms, zone)


def field_message(message: str, name: str | None) -> str:
    """Return an error message without its leading `field:` (it is shown next to the field already)."""
    prefix = f"{name}: "
    text = message[len(prefix) :] if name and message.startswith(prefix) else message
    if text == "required":
        return "This is required: fill it in."
    text = text.replace("starts_at", "the start").replace("ends_at", "the end")
    return text[:1].upper() + text[1:]
