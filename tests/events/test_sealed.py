"""Private events (docs/KINDS.md, "Private events"): the vectors in docs/vectors/sealed.json, and sealing's refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from nacl import bindings as sodium
from nacl.exceptions import CryptoError

from events import Identity, create_event, decode_record, pack, unpack
from events.errors import PayloadError
from events.kinds import valid_payload_value
from events.readmodel.memory import MemoryView
from events.readmodel.private import PRIVATE_TO, opened, private_projector
from events.sealed import BOX_SIZE, EncryptionKeyPair, bucket, open_sealed, seal, slots

VECTORS = json.loads((Path(__file__).resolve().parents[2] / "docs" / "vectors" / "sealed.json").read_text())
PAIRS = {str(k["n"]): EncryptionKeyPair.from_secret(bytes.fromhex(k["secret"])) for k in VECTORS["encryption_keys"]}
AUTHOR = bytes.fromhex(VECTORS["author"])


def test_encryption_keys_are_x25519_pairs():
    for k in VECTORS["encryption_keys"]:
        assert PAIRS[str(k["n"])].public.hex() == k["public"]


@pytest.mark.parametrize("case", VECTORS["events"], ids=lambda c: c["kind"])
def test_vector_opens_for_its_recipients_only(case):
    event = decode_record(bytes.fromhex(case["record_hex"]))
    assert event.kind == "sealed" and event.author == AUTHOR and event.payload.hex() == case["sealed_payload_hex"]
    value = valid_payload_value("sealed", event.payload)
    assert len(value["keys"]) == slots(len(case["to"])) and value["keys"] == sorted(value["keys"])
    # every slot is libsodium's crypto_box_seal: the recipients' open with crypto_box_seal_open to the content key
    content_key = bytes.fromhex(case["content_key_hex"])
    for n, expected in case["opens"].items():
        inner = open_sealed(value, AUTHOR, [PAIRS[n]])
        assert (inner is not None) is expected, n
        if expected:
            assert inner.kind == case["kind"] and [g.hex() for g in inner.to] == case["to"]
            pair = PAIRS[n]
            assert [sodium.crypto_box_seal_open(s, pair.public, pair.secret) for s in value["keys"] if _opens(s, pair)] == [
                content_key
            ]
            assert opened(event, [PAIRS[n]]).payload == valid_payload_value(case["kind"], pack(inner.payload))
    # the inner document, its padding and the ciphertext, to the byte
    padded = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
        value["box"], bytes.fromhex(case["aad_hex"]), bytes.fromhex(case["nonce_hex"]), content_key
    )
    assert len(padded) == case["padded_size"] == bucket(len(bytes.fromhex(case["inner_hex"])))
    assert sodium.sodium_unpad(padded, len(padded)).hex() == case["inner_hex"]
    again = seal(
        case["kind"],
        unpack(bytes.fromhex(case["inner_hex"]), max_size=65536)["payload"],
        [bytes.fromhex(g) for g in case["to"]],
        [PAIRS["1"].public],
        AUTHOR,
        content_key=content_key,
        nonce=bytes.fromhex(case["nonce_hex"]),
    )
    assert again["box"] == value["box"]


def _opens(slot: bytes, pair: EncryptionKeyPair) -> bool:
    try:
        sodium.crypto_box_seal_open(slot, pair.public, pair.secret)
    except CryptoError:  # not this recipient's slot
        return False
    return True


def test_removed_recipient_still_reads_what_it_was_sent():
    first, second = (decode_record(bytes.fromhex(c["record_hex"])) for c in VECTORS["events"])
    view = MemoryView()
    project = private_projector(lambda: [PAIRS["4"]])
    for event in (first, second):
        view.apply(project(event, view))
    [callout] = list(view.scan("callouts"))
    assert callout.doc["text"] == VECTORS["events"][0]["payload"]["text"]  # the update did not reach group 4
    assert len(callout.doc[PRIVATE_TO]) == 4


def test_the_update_reaches_the_remaining_recipients():
    first, second = (decode_record(bytes.fromhex(c["record_hex"])) for c in VECTORS["events"])
    view = MemoryView()
    project = private_projector(lambda: [PAIRS["2"]])
    for event in (first, second):
        view.apply(project(event, view))
    [callout] = list(view.scan("callouts"))
    assert callout.doc["text"] == VECTORS["events"][1]["payload"]["text"]


def test_a_box_copied_into_another_log_does_not_open():
    case = VECTORS["events"][0]
    value = valid_payload_value("sealed", bytes.fromhex(case["sealed_payload_hex"]))
    thief = Identity.from_seed(bytes([9]) * 32)
    copied = create_event(thief, kind="sealed", payload=pack(value), timestamp=1, previous=None)
    assert opened(copied, [PAIRS["2"]]) is None


def test_padding_hides_the_length_within_a_bucket():
    pair = EncryptionKeyPair.generate()
    author = Identity.generate().public_key
    sizes = set()
    for text in ("a", "a" * 100):
        value = seal("comment.posted", {"on": bytes(32), "text": text}, [author], [pair.public], author)
        sizes.add((len(value["box"]), len(value["keys"])))
        assert all(len(k) == BOX_SIZE for k in value["keys"])
    assert sizes == {(256 + 16, 2)}


def test_sealing_refuses_other_kinds_and_too_many_recipients():
    pair = EncryptionKeyPair.generate()
    with pytest.raises(PayloadError, match="cannot be sent privately"):
        seal("group.profile", {"name": "x"}, [bytes(32)], [pair.public], bytes(32))
    with pytest.raises(PayloadError, match="at most 64"):
        seal("comment.posted", {"on": bytes(32), "text": "x"}, [bytes(32)], [pair.public] * 65, bytes(32))


def test_an_inner_payload_invalid_for_its_kind_opens_to_nothing():
    author = Identity.generate()
    pair = EncryptionKeyPair.generate()
    value = seal("callout.published", {"title": "", "text": "x"}, [author.public_key], [pair.public], author.public_key)
    event = create_event(author, kind="sealed", payload=pack(value), timestamp=1, previous=None)
    assert open_sealed(value, author.public_key, [pair]) is not None  # it opens ...
    assert opened(event, [pair]) is None  # ... but is not a valid callout: no read model shows it


def test_private_read_models_do_not_depend_on_the_interleaving_of_authors():
    a, c = Identity.from_seed(bytes([5]) * 32), Identity.from_seed(bytes([6]) * 32)
    pa, pc = EncryptionKeyPair.from_secret(bytes([7]) * 32), EncryptionKeyPair.from_secret(bytes([8]) * 32)
    to, keys = [a.public_key, c.public_key], [pa.public, pc.public]
    callout = {"title": "t", "text": "x", "needs": ["people"], "urgency": "high"}
    first = create_event(
        a, kind="sealed", payload=pack(seal("callout.published", callout, to, keys, a.public_key)), timestamp=1, previous=None
    )
    update = seal("callout.updated", {"callout": first.id, "text": "y"}, to, keys, a.public_key)
    second = create_event(a, kind="sealed", payload=pack(update), timestamp=2, previous=first)
    pledge = seal("pledge.made", {"callout": first.id, "need": "people", "offer": "us"}, to, keys, c.public_key)
    third = create_event(c, kind="sealed", payload=pack(pledge), timestamp=3, previous=None)
    results = []
    for order in ([first, second, third], [first, third, second], [third, first, second]):
        view = MemoryView()
        project = private_projector(lambda: [pc])
        for event in order:
            view.apply(project(event, view))
        results.append([(p.collection, p.key, p.doc) for name in ("callouts", "pledges") for p in view.scan(name)])
    assert results[0] == results[1] == results[2]
    assert [doc["text"] for coll, _, doc in results[0] if coll == "callouts"] == ["y"]
