"""Revocation a verifier can see: the W3C Bitstring Status List (v1.0), which Open Badges 3.0 names as a status
method besides the 1EdTech Revocation List.

Why the bitstring and not the 1EdTech Revocation List: the revocation list publishes the *ids* of revoked
credentials, i.e. it tells the world which learners lost a certificate (and, with our credential ids, their
verification codes). The bitstring publishes one bit per credential at a random position among
``LIST_SIZE`` (131,072, the minimum the W3C specification asks for, "herd privacy"); only a holder of the
credential knows its position.

* ``status_entry`` is the ``credentialStatus`` of one credential (``BitstringStatusListEntry``);
* ``encode_list`` / ``decode_list`` are the GZIP-compressed, base64url ("u" multibase) bitstring;
* ``status_list_credential`` is the unsigned ``BitstringStatusListCredential`` the adapter signs with the
  credential key and publishes at ``list_url``.
"""
from __future__ import annotations

import base64
import gzip
import secrets
from datetime import datetime, timezone
from typing import Any, Iterable

LIST_SIZE = 131_072  # bits; the W3C minimum, so a list gives herd privacy
PURPOSE = "revocation"
VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"


def random_index() -> int:
    """A random position (the specification asks for random, not sequential, allocation)."""
    return secrets.randbelow(LIST_SIZE)


def status_entry(list_url: str, index: int) -> dict[str, Any]:
    if not 0 <= index < LIST_SIZE:
        raise ValueError("status list index out of range")
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": PURPOSE,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def encode_list(revoked: Iterable[int], size: int = LIST_SIZE) -> str:
    """Bit ``i`` set (most significant bit of the first byte = index 0) for every revoked index."""
    bits = bytearray(size // 8)
    for index in revoked:
        if 0 <= index < size:
            bits[index // 8] |= 0x80 >> (index % 8)
    # mtime=0: the same list always encodes to the same text (caches, tests)
    return "u" + base64.urlsafe_b64encode(gzip.compress(bytes(bits), mtime=0)).rstrip(b"=").decode("ascii")


def decode_list(encoded: str) -> bytes:
    if not encoded.startswith("u"):
        raise ValueError("encodedList must be multibase base64url ('u')")
    body = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def is_set(bitstring: bytes, index: int) -> bool:
    return bool(bitstring[index // 8] & (0x80 >> (index % 8)))


def status_list_credential(list_url: str, issuer_id: str, revoked: Iterable[int],
                           now: datetime | None = None) -> dict[str, Any]:
    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    return {
        "@context": [VC_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id,
        "validFrom": moment.isoformat().replace("+00:00", "Z"),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": PURPOSE,
            "encodedList": encode_list(revoked),
        },
    }
