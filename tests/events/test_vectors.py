"""The golden vectors in docs/vectors/ agree with the code, and with libsodium (PyNaCl) on every signature."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nacl.bindings
import nacl.exceptions
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

import events
from events import Identity, Mode, decode_fork_proof, decode_record, encode_record, pack, parse_group_id, unpack, verify_chain
from events.bundle import BundleReader, BundleWriter
from events.ed25519 import check_public_key, load_public_key, verify
from tools import ref_ed25519

VECTORS = Path(__file__).resolve().parents[2] / "docs" / "vectors"


def load(name: str) -> dict:
    return json.loads((VECTORS / name).read_text())


def untag(value: Any) -> Any:
    """Turn the JSON notation of docs/vectors/README.md back into a Python value."""
    if value is None or isinstance(value, bool):
        return value
    (tag, inner), *_ = value.items()
    return {
        "int": lambda: int(inner),
        "str": lambda: inner,
        "bin": lambda: bytes.fromhex(inner),
        "array": lambda: [untag(v) for v in inner],
        "map": lambda: {k: untag(v) for k, v in inner},
    }[tag]()


def raises_as(case: dict, call: Any) -> None:
    with pytest.raises(events.EventError) as info:
        call()
    assert type(info.value).__name__ == case["error"], case
    assert info.value.code == case["code"]


def test_every_vector_file_is_covered() -> None:
    assert {p.name for p in VECTORS.glob("*.json")} == {
        "keys.json",
        "canonical.json",
        "signatures.json",
        "events.json",
        "chain.json",
        "fork.json",
        "bundle.json",
        "peer_urls.json",  # checked by tests/protocol/test_trust.py
        "rotation.json",
        "reconcile.json",  # tests/protocol/test_recon_vectors.py
        "digest.json",
        "bundles.json",  # tests/audit/test_bundle_vectors.py
        "readmodels.json",  # tests/audit/test_readmodel_vectors.py
        "subscription.json",  # tests/protocol/test_subscription_vectors.py
        "sealed.json",  # tests/events/test_sealed.py
    }


def test_keys() -> None:
    doc = load("keys.json")
    for key in doc["keys"]:
        ident = Identity.from_seed(bytes.fromhex(key["seed"]))
        assert ident.public_key.hex() == key["public_key"]
        assert ident.group_id == key["group_id"]
        assert parse_group_id(key["group_id"]).hex() == key["public_key"]
    for case in doc["invalid_group_ids"]:
        with pytest.raises(events.IdentityError):
            parse_group_id(case["text"])


@pytest.mark.parametrize("case", load("canonical.json")["valid"], ids=lambda c: c["hex"][:24])
def test_canonical_valid(case: dict) -> None:
    value = untag(case["value"])
    assert pack(value).hex() == case["hex"]
    assert unpack(bytes.fromhex(case["hex"]), max_size=1 << 20) == value


def test_canonical_depth_limit() -> None:
    data = bytes.fromhex(load("canonical.json")["depth_limit_ok"])
    assert pack(unpack(data, max_size=100)) == data


@pytest.mark.parametrize("case", load("canonical.json")["invalid"], ids=lambda c: c["reason"])
def test_canonical_invalid(case: dict) -> None:
    raises_as(case, lambda: unpack(bytes.fromhex(case["hex"]), max_size=1 << 20))


def test_valid_events() -> None:
    doc = load("events.json")
    assert events.SIGNING_PREFIX.hex() == doc["signing_prefix"]
    author = Identity.from_seed(bytes.fromhex(doc["author_seed"]))
    key = load_public_key(author.public_key)
    for case in [*doc["valid"], doc["payload_dropped"]]:
        event = decode_record(bytes.fromhex(case["record"]))
        h = case["header"]
        assert event.header.fields() == [
            h["version"],
            bytes.fromhex(h["author"]),
            h["seq"],
            bytes.fromhex(h["prev"]) if h["prev"] else None,
            h["timestamp"],
            h["kind"],
            bytes.fromhex(h["payload_hash"]),
            h["payload_size"],
        ]
        assert events.encode_header(event.header).hex() == case["header_bytes"]
        assert event.id.hex() == case["id"]
        assert events.signing_message(event.header_bytes).hex() == case["signing_message"]
        assert event.signature.hex() == case["signature"]
        assert events.signature_valid(event, key)
        assert encode_record(event).hex() == case["record"]
        if case["payload"] is None:
            assert event.payload is None
        else:
            assert event.payload.hex() == case["payload"]
            assert event.payload_value() == untag(case["payload_value"])
            # Signing is deterministic (RFC 8032), so re-creating the event gives the same bytes.
            again = (
                events.create_event(author, kind=h["kind"], payload=event.payload, timestamp=h["timestamp"], previous=None)
                if h["seq"] == 1
                else None
            )
            if again is not None:
                assert encode_record(again).hex() == case["record"]


@pytest.mark.parametrize("case", load("events.json")["invalid_records"], ids=lambda c: c["name"])
def test_invalid_records(case: dict) -> None:
    raises_as(case, lambda: decode_record(bytes.fromhex(case["record"])))


@pytest.mark.parametrize("case", load("chain.json")["cases"], ids=lambda c: c["name"])
@pytest.mark.parametrize("mode", [Mode.FULL, Mode.HEAD])
def test_chains(case: dict, mode: Mode) -> None:
    author = bytes.fromhex(case["author"])
    result = verify_chain([decode_record(bytes.fromhex(r)) for r in case["records"]], author, mode)
    assert [e.id.hex() for e in result.valid] == case["valid_ids"]
    assert (result.head.id.hex() if result.head else None) == case["head_id"]
    assert [{"seq": p.seq, "code": p.code} for p in result.rejected] == case["rejected"]
    findings = [{"seq": p.seq, "code": p.code} for p in result.bad_signatures]
    assert findings == (case["full_mode_findings"] if mode is Mode.FULL else [])


def test_small_order_author_is_rejected() -> None:
    case = load("chain.json")["small_order_author"]
    author = bytes.fromhex(case["author"])
    event = decode_record(bytes.fromhex(case["records"][0]))  # well-formed as bytes
    message = events.signing_message(event.header_bytes)
    # A lax verifier (and OpenSSL without our pre-check) accepts the forged signature ...
    assert ref_ed25519.lax_verify(author, event.signature, message)
    Ed25519PublicKey.from_public_bytes(author).verify(event.signature, message)
    # ... libsodium and we do not.
    with pytest.raises(nacl.exceptions.BadSignatureError):
        nacl.bindings.crypto_sign_open(event.signature + message, author)
    for mode in Mode:
        raises_as(case, lambda mode=mode: verify_chain([event], author, mode))


def strict_verdict(public_key: bytes, signature: bytes, message: bytes) -> bool:
    try:
        check_public_key(public_key)
    except events.IdentityError:
        return False
    return verify(load_public_key(public_key), signature, message)


def libsodium_verdict(public_key: bytes, signature: bytes, message: bytes) -> bool:
    try:
        nacl.bindings.crypto_sign_open(signature + message, public_key)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError):
        return False
    return True


@pytest.mark.parametrize("case", load("signatures.json")["cases"], ids=lambda c: c["name"])
def test_signatures_agree_with_libsodium(case: dict) -> None:
    key, sig, msg = (bytes.fromhex(case[k]) for k in ("public_key", "signature", "message"))
    assert strict_verdict(key, sig, msg) is case["strict"]
    assert libsodium_verdict(key, sig, msg) is case["strict"]
    assert ref_ed25519.lax_verify(key, sig, msg) is case["lax"]


def test_signature_vectors_in_records_agree_with_libsodium() -> None:
    """Every event signature in the vectors gets the same verdict from libsodium as from us."""
    checked = 0
    for case in load("chain.json")["cases"]:
        for record in case["records"]:
            event = decode_record(bytes.fromhex(record))
            message = events.signing_message(event.header_bytes)
            assert libsodium_verdict(event.author, event.signature, message) is strict_verdict(
                event.author, event.signature, message
            )
            checked += 1
    assert checked > 20


def test_s_plus_l_is_rejected_by_every_strict_library() -> None:
    case = next(c for c in load("signatures.json")["cases"] if c["name"] == "s_plus_l")
    key, sig, msg = (bytes.fromhex(case[k]) for k in ("public_key", "signature", "message"))
    with pytest.raises(InvalidSignature):
        Ed25519PublicKey.from_public_bytes(key).verify(sig, msg)
    assert not strict_verdict(key, sig, msg)


def test_fork_proofs() -> None:
    doc = load("fork.json")
    for case in doc["valid"]:
        proof = decode_fork_proof(bytes.fromhex(case["hex"]))
        assert (proof.author.hex(), proof.seq, proof.id_a.hex(), proof.id_b.hex()) == (
            case["author"],
            case["seq"],
            case["id_a"],
            case["id_b"],
        )
        assert events.encode_fork_proof(proof).hex() == case["hex"]
    for case in doc["invalid"]:
        raises_as(case, lambda case=case: decode_fork_proof(bytes.fromhex(case["hex"])))


def test_bundle() -> None:
    doc = load("bundle.json")
    data = bytes.fromhex(doc["hex"])
    reader = BundleReader(data[i : i + 100] for i in range(0, len(data), 100))
    items = list(reader)
    assert reader.head is not None
    assert (reader.head.node, reader.head.created) == (doc["head"]["node"], doc["head"]["created"])
    assert reader.count == doc["trailer"]["count"] == len(items)
    for item, expected in zip(items, doc["items"], strict=True):
        if expected["type"] == "event":
            assert isinstance(item, events.Event)
            assert item.id.hex() == expected["id"]
            assert (item.payload is not None) is expected["payload"]
        else:
            assert isinstance(item, events.ForkProof)
            assert (item.id_a.hex(), item.id_b.hex()) == (expected["id_a"], expected["id_b"])
    # Writing the same items again gives the same bytes.
    writer = BundleWriter(reader.head)
    rebuilt = (
        writer.head()
        + b"".join(writer.event(i) if isinstance(i, events.Event) else writer.fork_proof(i) for i in items)
        + writer.end()
    )
    assert rebuilt == data
