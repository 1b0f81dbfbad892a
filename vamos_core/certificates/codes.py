"""Verification codes: random, high-entropy, easy to read aloud and to type.

A code is 23 random symbols from Crockford's base-32 alphabet (115 bits, no I, L, O, U) plus one
check symbol, printed in six groups of four: ``7K3M-Q9TX-...``. 115 bits make guessing hopeless
even without the rate limit of the /verify page; the check symbol (Luhn mod 32) catches every single
mistyped symbol and most swapped neighbours before we even query the database.
"""
from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32: no I, L, O, U
RANDOM_SYMBOLS = 23
GROUP = 4
ENTROPY_BITS = RANDOM_SYMBOLS * 5
CODE_LENGTH = RANDOM_SYMBOLS + 1  # symbols without separators
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
# What people type instead of the canonical symbol (Crockford's decoding rules).
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})


class InvalidCode(ValueError):
    """The text is not a well-formed verification code (wrong symbols, length or check symbol)."""


def _check_symbol(symbols: str) -> str:
    """Luhn mod N (N = 32) over the symbols, as specified for arbitrary alphabets."""
    n = len(ALPHABET)
    total = 0
    factor = 2
    for char in reversed(symbols):
        addend = factor * _VALUE[char]
        addend = addend // n + addend % n
        total += addend
        factor = 1 if factor == 2 else 2
    return ALPHABET[(n - total % n) % n]


def _group(symbols: str) -> str:
    return "-".join(symbols[i : i + GROUP] for i in range(0, len(symbols), GROUP))


def new_code() -> str:
    """A fresh code in canonical, grouped form (``XXXX-XXXX-XXXX-XXXX-XXXX-XXXX``)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_SYMBOLS))
    return _group(body + _check_symbol(body))


def normalize_code(text: str) -> str:
    """The canonical grouped form of a code typed by a person or taken from a URL.

    Accepts lower case, spaces, hyphens and the usual confusions (O for 0, I/L for 1).
    Raises InvalidCode when it cannot be a code we issued.
    """
    if not isinstance(text, str):
        raise InvalidCode("code must be text")
    compact = "".join(text.split()).replace("-", "").upper().translate(_CONFUSABLE)
    if len(compact) != CODE_LENGTH:
        raise InvalidCode(f"a code has {CODE_LENGTH} symbols, got {len(compact)}")
    bad = sorted({c for c in compact if c not in _VALUE})
    if bad:
        raise InvalidCode(f"not a code symbol: {''.join(bad)}")
    if _check_symbol(compact[:-1]) != compact[-1]:
        raise InvalidCode("check symbol does not match (typo?)")
    return _group(compact)


def is_valid_code(text: str) -> bool:
    try:
        normalize_code(text)
    except InvalidCode:
        return False
    return True
