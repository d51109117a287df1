"""The publish body's schema (in the OpenAPI document) and the check the server runs agree on every payload: both are
made from the kind registry's field specs, and this holds them to each other with an independent JSON Schema validator."""

from __future__ import annotations

import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events.errors import PayloadError
from events.kinds import KINDS
from events.kinds.fields import MAX_TIME, WHITE_SPACE, is_blank
from node.api_params import EXAMPLE_GROUP
from node.errors import RequestError
from node.publish_body import NOT_BLANK, PUBLISH_BODY, PUBLISHABLE, check_payload, example_of, payload_schema

CHOICES = sorted({c for spec in KINDS.values() for f in spec.fields for c in f.choices})
STRINGS = st.one_of(
    st.text(alphabet=st.sampled_from(WHITE_SPACE + "ab\x1c\ufeff"), max_size=4),
    st.sampled_from(["9f" * 32, "9F" * 32, "9f" * 31, "9f" * 32 + "\n", EXAMPLE_GROUP, EXAMPLE_GROUP.upper(), "sn_x", *CHOICES]),
    st.text(max_size=3),
    st.text(min_size=199, max_size=202),
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 3),
    st.sampled_from([10**9, 10**9 + 1, MAX_TIME, MAX_TIME + 1, 2.0, 2.5]),
    STRINGS,
)
VALUES = st.one_of(SCALARS, st.lists(st.one_of(STRINGS, st.sampled_from(CHOICES)), max_size=3), st.lists(SCALARS, max_size=2))
VALIDATORS = {kind: jsonschema_rs.validator_for(payload_schema(KINDS[kind])) for kind in PUBLISHABLE}


def accepted(kind: str, payload: dict) -> bool:
    try:
        check_payload(kind, payload)
    except (PayloadError, RequestError):
        return False
    return True


@st.composite
def payloads(draw):
    kind = draw(st.sampled_from(PUBLISHABLE))
    names = [f.name for f in KINDS[kind].fields]
    chosen = draw(st.lists(st.sampled_from([*names, "colour"]), unique=True, max_size=len(names) + 1))
    base = example_of(KINDS[kind])["payload"] if draw(st.booleans()) else {}
    return kind, {**base, **{name: draw(VALUES) for name in chosen}}


@settings(max_examples=1500, deadline=None)
@given(payloads())
def test_the_schema_and_the_check_agree(case):
    kind, payload = case
    assert accepted(kind, payload) == VALIDATORS[kind].is_valid(payload), (kind, payload)


@pytest.mark.parametrize("kind", PUBLISHABLE)
def test_every_example_is_accepted(kind):
    body = PUBLISH_BODY.examples[kind]
    assert PUBLISH_BODY.check(body)["kind"] == kind
    assert VALIDATORS[kind].is_valid(body["payload"])


@given(st.text(alphabet=st.sampled_from(WHITE_SPACE + "x\x1c\x1f\ufeff\u200b"), max_size=5))
def test_not_blank_is_the_registrys_blank(text):
    assert jsonschema_rs.validator_for({"pattern": NOT_BLANK}).is_valid(text) == (not is_blank(text))
