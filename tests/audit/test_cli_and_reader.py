"""The audit command's exit codes and output, and the partitioned reader agreeing with events.bundle.BundleReader."""

from __future__ import annotations

import json

import pytest

from audit.cli import main
from audit.errors import SourceError
from audit.reader import PartitionReader
from events import Identity
from events.bundle import BundleReader
from events.errors import BundleError

from .helpers import flip, make_log, replace, write


@pytest.fixture(scope="module")
def log():
    return make_log(Identity.generate(), 8)


def test_exit_codes_and_outputs(tmp_path, log, capsys):
    clean = write(tmp_path / "clean", log)
    assert main([str(clean), "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "CLEAN" in out and "state digest" in out
    gap = write(tmp_path / "gap", [*log[:3], *log[4:]])
    assert main([str(gap), "--json", "--workers", "2"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["clean"] is False and data["gaps"][0]["first"] == 4 and data["gaps"][0]["last"] == 4
    assert main([str(gap), "--fast"]) == 1
    out = capsys.readouterr().out
    assert "VIOLATION" in out and "seq 4..4 missing" in out


def chunks(data: bytes, size: int = 97):
    return [data[i : i + size] for i in range(0, len(data), size)]


def read_with_bundle_reader(data: bytes):
    try:
        return [repr(x) for x in BundleReader(chunks(data))], None
    except BundleError as exc:
        return None, str(exc)


def read_partitioned(data: bytes):
    try:
        return [repr(value) for _index, value in PartitionReader(chunks(data))], None
    except SourceError as exc:
        return None, str(exc)


def test_partition_reader_agrees_with_bundle_reader(tmp_path, log):
    data = write(tmp_path / "b", [*log[:4], replace(log[4], payload=b"\x00" * 5), *log[5:]]).read_bytes()
    cases = [data, data[:-3], data + b"\x00", flip(data, 150), flip(data, len(data) - 5), data[:40], b""]
    for case in cases:
        items, error = read_with_bundle_reader(case)
        ours, our_error = read_partitioned(case)
        assert items == ours
        assert (error is None) == (our_error is None)
        if error is not None:
            assert error.split(":")[0] == our_error.split(":")[0]


def test_non_canonical_event_item_is_a_bad_item_for_both_readers(log):
    import hashlib

    import msgpack

    from events.bundle import TAG_END, TAG_EVENT, BundleWriter

    from .helpers import HEAD

    writer = BundleWriter(HEAD)
    event = log[0]
    wide = (
        b"\xdc\x00\x04"
        + msgpack.packb(TAG_EVENT)
        + b"".join(msgpack.packb(x, use_bin_type=True) for x in (event.header_bytes, event.signature))
        + b"\xc6"
        + len(event.payload).to_bytes(4, "big")
        + event.payload
    )  # array16 and bin32: not the shortest forms
    body = writer.head() + wide + writer.event(log[1])
    data = body + msgpack.packb([TAG_END, 2, hashlib.sha256(body).digest()], use_bin_type=True)
    theirs, _ = read_with_bundle_reader(data)
    ours, _ = read_partitioned(data)
    assert theirs == ours and "BadItem" in ours[0] and "canonical" in ours[0]
