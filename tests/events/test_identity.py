"""Identities: PEM key files with and without passphrase, group id text form."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key

from events import Identity, IdentityError, group_id_text, parse_group_id
from tests.events.helpers import identity


def test_pem_without_passphrase() -> None:
    ident = Identity.generate()
    pem = ident.to_pem()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert Identity.from_pem(pem).public_key == ident.public_key
    with pytest.raises(IdentityError):
        Identity.from_pem(pem, b"unexpected passphrase")


def test_pem_with_passphrase() -> None:
    ident = identity()
    pem = ident.to_pem(b"correct horse")
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert Identity.from_pem(pem, b"correct horse").group_id == ident.group_id
    for wrong in (b"wrong horse", None):
        with pytest.raises(IdentityError):
            Identity.from_pem(pem, wrong)


def test_other_key_types_and_garbage_are_rejected() -> None:
    ec = generate_private_key(SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    for pem in (ec, b"not a key", identity().to_pem()[:-40]):
        with pytest.raises(IdentityError):
            Identity.from_pem(pem)


def test_group_id_round_trip() -> None:
    ident = identity()
    text = ident.group_id
    assert text.startswith("sn_") and len(text) == 55 and text == text.lower()
    assert parse_group_id(text) == ident.public_key == parse_group_id(group_id_text(ident.public_key))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "sn_",
        identity().group_id[:-1],
        identity().group_id + "a",
        identity().group_id.upper(),
        "SN_" + identity().group_id[3:],
        "sn_" + "1" * 52,
        identity().group_id[:-1] + "7",  # unused bits set
        group_id_text(bytes(32)),  # small order
        None,
    ],
)
def test_group_id_parse_errors(text) -> None:
    with pytest.raises(IdentityError):
        parse_group_id(text)


def test_seed_must_be_32_bytes() -> None:
    with pytest.raises(IdentityError):
        Identity.from_seed(b"short")
