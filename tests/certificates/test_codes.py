import re

import pytest

from vamos_core.certificates import ENTROPY_BITS, InvalidCode, is_valid_code, new_code, normalize_code
from vamos_core.certificates.codes import ALPHABET

CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){5}$")


def test_codes_are_grouped_unambiguous_and_high_entropy():
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(CODE.match(c) for c in codes)
    assert ENTROPY_BITS >= 100
    assert not set("ILOU") & set(ALPHABET) and len(ALPHABET) == 32
    assert all(normalize_code(c) == c for c in codes)


def test_normalize_accepts_how_people_type_it():
    code = new_code()
    typed = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert normalize_code(f"  {typed} ") == code
    assert normalize_code(code.replace("-", "")) == code


def test_every_single_symbol_typo_is_caught():
    code = new_code()
    compact = code.replace("-", "")
    for position in range(len(compact)):
        for symbol in ALPHABET:
            if symbol != compact[position]:
                typo = compact[:position] + symbol + compact[position + 1 :]
                assert not is_valid_code(typo), (position, symbol)


def test_most_swapped_neighbours_are_caught():
    caught = total = 0
    for _ in range(200):
        compact = new_code().replace("-", "")
        for i in range(len(compact) - 1):
            if compact[i] != compact[i + 1]:
                swapped = compact[:i] + compact[i + 1] + compact[i] + compact[i + 2 :]
                total += 1
                caught += not is_valid_code(swapped)
    assert caught / total > 0.95


@pytest.mark.parametrize("text", ["", "ABCD", "ABCD-EFGH-JKMN-PQRS-TVWX-YZ0U", "ä" * 24, None])
def test_malformed_codes_are_rejected(text):
    with pytest.raises(InvalidCode):
        normalize_code(text)
