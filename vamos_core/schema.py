"""A tiny declarative checker for the YAML mappings of the content format.

Why not JSON Schema: we need the YAML line of every finding and German-friendly, field-named messages,
and the format is small enough that forty lines keep it readable.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from .problems import ProblemList
from .yaml_lines import LineDict, LineList

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@dataclass(frozen=True)
class Field:
    kind: type | tuple[type, ...]
    required: bool = True
    check: Callable[[Any], str | None] | None = None  # returns an error message or None


def type_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "text", int: "whole number", float: "number", bool: "true/false", list: "list", dict: "mapping"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def check_mapping(
    data: Any, spec: dict[str, Field], problems: ProblemList, where: str, line: int
) -> LineDict | None:
    """Check ``data`` against ``spec``; report unknown, missing and mistyped keys. Returns the mapping or None."""
    if not isinstance(data, LineDict):
        problems.add(getattr(data, "line", line), where or "(top)", f"must be a mapping, got {describe(data)}")
        return None
    for key in data:
        if key not in spec:
            known = ", ".join(sorted(spec))
            problems.add(data.line_of(key), join(where, key), f"unknown key (allowed: {known})")
    for key, field in spec.items():
        if key not in data or data[key] is None:
            if field.required:
                problems.add(data.line, join(where, key), "required field is missing")
            continue
        value = data[key]
        if not is_kind(value, field.kind):
            problems.add(data.line_of(key), join(where, key), f"must be {type_name(field.kind)}, got {describe(value)}")
            continue
        if field.check is not None:
            message = field.check(value)
            if message:
                problems.add(data.line_of(key), join(where, key), message)
    return data


def is_kind(value: Any, kind: type | tuple[type, ...]) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        return False  # YAML "yes" must not pass as a number
    if float in kinds and isinstance(value, int) and not isinstance(value, bool):
        return True
    return isinstance(value, kinds)


def describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, LineDict):
        return "a mapping"
    if isinstance(value, LineList):
        return "a list"
    return f"{type_name(type(value))} {str(value)[:40]!r}"


def join(where: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else key


def non_empty(value: str) -> str | None:
    return None if value.strip() else "must not be empty"


def valid_id(value: str) -> str | None:
    return None if ID_PATTERN.match(value) else f"'{value}' is not a valid id (lowercase letters, digits, hyphens)"


def one_of(*allowed: str) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        return None if value in allowed else f"'{value}' is not one of: {', '.join(allowed)}"

    return check


def in_range(low: float, high: float) -> Callable[[float], str | None]:
    def check(value: float) -> str | None:
        return None if low <= value <= high else f"must be between {low:g} and {high:g}, got {value:g}"

    return check


def line_of(container: Any, key: str | int, default: int) -> int:
    if isinstance(container, LineDict) and isinstance(key, str):
        return container.line_of(key)
    if isinstance(container, LineList) and isinstance(key, int):
        return container.line_of(key)
    return getattr(container, "line", default)
