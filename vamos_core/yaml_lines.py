"""YAML loading that remembers the line of every key and list item.

PyYAML's composer gives every node a start mark; we keep those marks in the containers we build,
so the validator can say ``module.yaml:12: quiz.scoring: …`` instead of only "invalid".
"""
from __future__ import annotations

import pickle
import threading
from collections import OrderedDict
from typing import Any

import yaml


class LineDict(dict):
    """A mapping that knows the 1-based line of itself and of each key."""

    line: int = 1
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    """A sequence that knows its own line and the line of each item."""

    line: int = 1
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


# libyaml's parser when PyYAML was built with it (the wheels are): 5–10x faster on our files, which matters for
# the editor's validation on every save. Marks (lines) and errors are the same.
class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}'", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _construct_str(loader: _Loader, node: yaml.ScalarNode) -> str:
    # Dates and times stay strings: content versions like 2026-11-01 are labels, not datetimes.
    return loader.construct_scalar(node)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_str)


class YamlSyntaxError(ValueError):
    def __init__(self, line: int, message: str):
        self.line = line
        super().__init__(message)


_PARSED: "OrderedDict[tuple[str, int], bytes]" = OrderedDict()
_PARSED_MAX = 512
_PARSED_LOCK = threading.Lock()


def load_yaml(text: str, line_offset: int = 0) -> Any:
    """Parse YAML text; raise YamlSyntaxError with a 1-based line (shifted by ``line_offset``).

    Results are remembered per process by the text itself (so never stale) as a pickle, and every call gets its
    own copy: unpickling is ~15x faster than parsing, and the editor validates the whole module on every save
    while one file changed."""
    key = (text, line_offset)
    with _PARSED_LOCK:
        cached = _PARSED.get(key)
        if cached is not None:
            _PARSED.move_to_end(key)
    if cached is not None:
        return pickle.loads(cached)  # noqa: S301 - our own pickles of our own parse results
    data = _parse(text, line_offset)
    with _PARSED_LOCK:
        _PARSED[key] = pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
        if len(_PARSED) > _PARSED_MAX:
            _PARSED.popitem(last=False)
    return data


def _parse(text: str, line_offset: int) -> Any:
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1 if mark else 1) + line_offset
        reason = exc.problem or exc.context or "invalid YAML"
        raise YamlSyntaxError(line, f"YAML syntax error: {reason}") from None
    except yaml.YAMLError as exc:  # pragma: no cover - non-marked errors are rare
        raise YamlSyntaxError(1 + line_offset, f"YAML error: {exc}") from None
    if line_offset:
        _shift(data, line_offset)
    return data


def _shift(data: Any, offset: int) -> None:
    if isinstance(data, LineDict):
        data.line += offset
        data.key_lines = {k: v + offset for k, v in data.key_lines.items()}
        for value in data.values():
            _shift(value, offset)
    elif isinstance(data, LineList):
        data.line += offset
        data.item_lines = [v + offset for v in data.item_lines]
        for value in data:
            _shift(value, offset)
