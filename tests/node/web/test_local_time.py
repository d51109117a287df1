"""Times on pages and in forms are in the node's configured zone (issue 17, point 1), whatever the machine's zone."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from events.readmodel.projection import ASSEMBLIES, CALLOUTS
from node import queries
from node.errors import RequestError
from node.web.local_time import day_start_ms, format_when, input_value, iso_when, parse_local, zone_of

from .conftest import login

LONDON = zone_of("Europe/London")


def ms(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp() * 1000)


@pytest.fixture
def machine_in_tokyo(monkeypatch):
    """Put this process in a zone far from the node's, so a time shown in the machine's zone would be caught."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_summer_and_winter_times_show_in_the_zone_with_their_offset():
    assert format_when(ms(2026, 6, 2, 18, 0), LONDON) == "Tue 2 Jun 2026, 19:00 BST (UTC+01:00)"
    assert format_when(ms(2026, 12, 2, 19, 0), LONDON) == "Wed 2 Dec 2026, 19:00 GMT (UTC+00:00)"
    assert format_when(ms(2026, 12, 2, 19, 0), zone_of("Asia/Dubai")) == "Wed 2 Dec 2026, 23:00 UTC+04:00"
    assert format_when(ms(2026, 12, 2, 19, 0), zone_of("America/St_Johns")).endswith("15:30 NST (UTC-03:30)")
    assert iso_when(ms(2026, 6, 2, 18, 0), LONDON) == "2026-06-02T19:00+01:00"
    assert format_when(None, LONDON) == format_when(True, LONDON) == ""


def test_unknown_or_empty_zone_falls_back_to_london():
    assert zone_of("") == zone_of("Not/AZone") == LONDON


@pytest.mark.parametrize("typed", ["2026-06-02T19:00", "2026-06-02 19:00", " 2026-06-02T19:00:00 "])
def test_typed_times_are_read_in_the_zone_and_round_trip(typed):
    moment = parse_local(typed, LONDON, field="starts_at")
    assert int(moment.timestamp() * 1000) == ms(2026, 6, 2, 18, 0)
    assert input_value(ms(2026, 6, 2, 18, 0), LONDON) == "2026-06-02T19:00"


def test_a_time_skipped_by_the_clocks_is_refused_and_a_repeated_one_is_the_first():
    with pytest.raises(RequestError) as refused:
        parse_local("2026-03-29T01:30", LONDON, field="starts_at")
    assert refused.value.field == "starts_at" and "does not exist in Europe/London" in refused.value.message
    # 01:30 on 25 Oct 2026 happens twice in London: BST (00:30 UTC) first, then GMT (01:30 UTC)
    first = parse_local("2026-10-25T01:30", LONDON, field="starts_at")
    assert int(first.timestamp() * 1000) == ms(2026, 10, 25, 0, 30)
    for bad in ("2026-02-30T10:00", "tomorrow", "2026-06-02T25:00"):
        with pytest.raises(RequestError):
            parse_local(bad, LONDON, field="starts_at")


def test_a_day_starts_at_midnight_in_the_zone():
    assert day_start_ms("2026-06-02", LONDON) == ms(2026, 6, 1, 23, 0)
    assert day_start_ms("2026-12-02", LONDON) == ms(2026, 12, 2, 0, 0)
    with pytest.raises(RequestError):
        day_start_ms("2026-6-2", LONDON)


async def test_pages_show_the_nodes_zone_not_the_machines(node, client, machine_in_tokyo):
    await node.service.publish("assembly.scheduled", {"title": "Summer", "starts_at": "2031-06-10T18:00+00:00"})
    await node.service.publish("assembly.scheduled", {"title": "Winter", "starts_at": "2031-12-10T19:00+00:00"})
    html = await (await client.get("/assemblies")).text()
    assert "Tue 10 Jun 2031, 19:00 BST (UTC+01:00)" in html
    assert "Wed 10 Dec 2031, 19:00 GMT (UTC+00:00)" in html
    assert 'datetime="2031-06-10T19:00+01:00"' in html

    node.service.update_settings(time_zone="America/New_York")
    html = await (await client.get("/assemblies")).text()
    assert "Tue 10 Jun 2031, 14:00 EDT (UTC-04:00)" in html


async def test_forms_read_times_in_the_nodes_zone_and_refuse_a_skipped_one(node, client, machine_in_tokyo):
    csrf = await login(client, node.token)
    resp = await client.post(
        "/publish/assembly.scheduled",
        data={"csrf": csrf, "title": "Winter assembly", "starts_at": "2031-12-02 19:00"},
        allow_redirects=False,
    )
    assert resp.status == 303, await resp.text()
    [assembly] = (await node.service.query(queries.list_docs, ASSEMBLIES)).items
    assert assembly["starts_at"] == ms(2031, 12, 2, 19, 0)

    before = await node.count()
    resp = await client.post(
        "/publish/callout.published",
        data={"csrf": csrf, "title": "Dawn", "text": "x", "needs": "people", "starts_at": "2031-03-30T01:30"},
    )
    assert resp.status == 422
    html = await resp.text()
    assert "does not exist in Europe/London" in html and 'value="2031-03-30T01:30"' in html
    assert await node.count() == before
    assert (await node.service.query(queries.list_docs, CALLOUTS)).items == []
