"""The one place gto parses or writes YAML.

Both files gto reads (`.gto` and `artifacts.yaml`) come from whoever can push
to the repository, so parsing is defensive: safe constructors only, a size
cap, a nesting cap, and **no aliases at all**. Aliases are how "billion
laughs" documents multiply a few bytes into gigabytes once something walks
the result; neither file ever needs them, and `dump_yaml` never writes them,
so refusing them outright is simpler and safer than counting expansions.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import yaml

MAX_DEPTH = 64


MAX_BYTES = 1_000_000


class YamlError(ValueError):
    """A document gto refuses to read; callers turn it into their GTOException.

    `reason` is the message without the document's name, for callers that name it.
    """

    def __init__(self, what: str, reason: str) -> None:
        super().__init__(f"{what}: {reason}")
        self.reason = reason


class YamlValueError(YamlError):
    """`load_yaml_key`: the document reads, but the value of the key asked for is refused."""


class YamlTooLarge(YamlError):
    """A document over the size limit: it is refused before it is parsed."""

    def __init__(self, what: str, size: int, limit: int) -> None:
        self.detail = f"{size:,} bytes, over the limit of {limit:,} bytes"
        super().__init__(what, f"too large: {self.detail}")
        self.size = size
        self.limit = limit


# The parser: libyaml's when PyYAML has it (five times faster on big files, which matters
# when every commit's artifacts.yaml is read), else PyYAML's own (tests pick either).
_PARSER = "CSafeLoader"


def _classes() -> tuple[type[yaml.SafeLoader], type[yaml.SafeLoader], type[yaml.SafeDumper]]:
    """PyYAML's safe parser, gto's loader and dumper (safe constructors only)."""
    return _made(_PARSER)


@functools.cache
def _made(
    parser: str,
) -> tuple[type[yaml.SafeLoader], type[yaml.SafeLoader], type[yaml.SafeDumper]]:
    """`_classes`, made on first use: a command that parses no YAML (a warm `gto show`,
    its indexes in the object cache) never imports PyYAML."""
    import yaml

    safe: type[yaml.SafeLoader] = getattr(yaml, parser, yaml.SafeLoader)

    class Loader(safe):  # type: ignore[valid-type,misc]
        """The safe loader, refusing duplicate keys: YAML forbids them, PyYAML keeps the last.

        A duplicated artifact (or `.gto` key) would otherwise lose one entry without a word.
        """

        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
            seen: set[Any] = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    duplicate = key in seen
                    seen.add(key)
                except TypeError:
                    continue  # an unhashable key: the base class reports it
                if duplicate:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r}", key_node.start_mark
                    )
            return super().construct_mapping(node, deep)  # type: ignore[no-any-return]

    class Dumper(yaml.SafeDumper):
        """SafeDumper that never writes anchors, so `load_yaml` can read its output."""

        def ignore_aliases(self, data: Any) -> bool:
            return True

    return safe, Loader, Dumper


class _Mark(Protocol):
    """What the pure-Python and the libyaml marks have in common."""

    line: int
    column: int
    index: int


def _at(mark: _Mark | None) -> str:
    return "" if mark is None else f" (line {mark.line + 1}, column {mark.column + 1})"


class _Refused(ValueError):
    """What the parse-event walk refuses; load_yaml names the document."""


def _refuse_aliases_and_depth(text: str | bytes, *, aliases: bool = False) -> list[_Mark]:
    """Walk the parse events (cheap) before building any object; where the aliases are."""
    import yaml

    depth = 0
    found: list[_Mark] = []
    for event in yaml.parse(text, Loader=_classes()[0]):
        if isinstance(event, yaml.AliasEvent):
            if not aliases:
                raise _Refused(f"aliases are not allowed{_at(event.start_mark)}")
            if event.start_mark is not None:
                found.append(event.start_mark)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _Refused(f"nesting deeper than {MAX_DEPTH} levels{_at(event.start_mark)}")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return found


def _check_size(text: str | bytes, what: str, limit: int) -> None:
    size = len(text) if isinstance(text, bytes) else len(text.encode("utf-8", "surrogatepass"))
    if size > limit:
        raise YamlTooLarge(what, size, limit)


@contextmanager
def _named_errors(
    what: str, text: str | bytes, error: type[YamlError] = YamlError
) -> Iterator[None]:
    """Every parse error as one `error` (a YamlError) that names the document."""
    import yaml

    try:
        yield
    except _Refused as err:
        raise error(what, str(err)) from err
    except yaml.YAMLError as err:
        raise error(what, _describe(err, text)) from err


def load_yaml_key(text: str | bytes, key: str, *, what: str, limit: int = MAX_BYTES) -> Any:
    """The value of one top-level `key`, built alone; None when the document lacks it.

    For files gto shares with another tool (dvc.yaml): the rest of the document may
    use aliases, which gto never expands; the value read must not.

    >>> load_yaml_key("base: &b {x: 1}\\nstages: {s: *b}\\nartifacts: {m: {path: m.pkl}}",
    ...               "artifacts", what="dvc.yaml")
    {'m': {'path': 'm.pkl'}}

    Raises:
        YamlValueError: `key` is there twice, or its value uses aliases or YAML gto refuses.
        YamlError: the document itself is refused, as by `load_yaml`, or is not a mapping.
    """
    import yaml

    _check_size(text, what, limit)
    with _named_errors(what, text):
        aliases = _refuse_aliases_and_depth(text, aliases=True)
    loader = _classes()[1](text)
    try:
        with _named_errors(what, text):
            root = loader.get_single_node()
            if root is None:
                return None
            if not isinstance(root, yaml.MappingNode):
                raise _Refused(f"the top level is not a mapping{_at(root.start_mark)}")
        values = [
            value
            for name, value in root.value
            if isinstance(name, yaml.ScalarNode) and name.value == key
        ]
        with _named_errors(what, text, YamlValueError):
            if len(values) > 1:
                raise _Refused(f"duplicate key {key!r}{_at(values[1].start_mark)}")
            if not values:
                return None
            start, end = values[0].start_mark, values[0].end_mark
            inside = [mark for mark in aliases if start.index <= mark.index < end.index]
            if inside:
                raise _Refused(f"aliases are not allowed{_at(inside[0])}")
            return loader.construct_object(values[0], deep=True)
    finally:
        loader.dispose()


def load_yaml(text: str | bytes, *, what: str, limit: int = MAX_BYTES) -> Any:
    """Parse one YAML document with the safe constructors only.

    `what` names the document in error messages. An empty document gives None.

    >>> load_yaml("stages: [dev, prod]", what=".gto")
    {'stages': ['dev', 'prod']}

    Raises:
        YamlError: the input is over `limit` bytes, is not valid YAML, holds
            more than one document, uses aliases, or nests deeper than `MAX_DEPTH`.
    """
    _check_size(text, what, limit)
    with _named_errors(what, text):
        _refuse_aliases_and_depth(text)
        loader = _classes()[1](text)
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()


def _describe(err: yaml.YAMLError, text: str | bytes) -> str:
    """One line instead of PyYAML's multi-line message with a source snippet."""
    import yaml

    if isinstance(err, yaml.reader.ReaderError):
        # A character the reader refuses: PyYAML gives an offset, people want a line.
        before = text[: err.position]
        newline = b"\n" if isinstance(before, bytes) else "\n"
        line = before.count(newline) + 1  # type: ignore[arg-type]
        column = err.position - before.rfind(newline)  # type: ignore[arg-type]
        char = err.character if isinstance(err.character, int) else ord(err.character)
        what = (
            f"invalid UTF-8 (byte {char:#04x})"
            if "invalid" in str(err.reason)
            else f"character U+{char:04X} is not allowed"
        )
        return f"{what} (line {line}, column {column})"
    if isinstance(err, yaml.MarkedYAMLError) and err.problem:
        what = f"{err.context}, {err.problem}" if err.context else err.problem
        return what + _at(err.problem_mark)
    return " ".join(str(err).split())


def dump_yaml(data: Any, *, sort_keys: bool = True) -> str:
    """Block-style YAML with sorted keys (unless told otherwise) and readable unicode.

    >>> print(dump_yaml({"b": [1], "a": "x"}), end="")
    a: x
    b:
    - 1
    """
    import yaml

    return yaml.dump(
        data,
        Dumper=_classes()[2],
        default_flow_style=False,
        sort_keys=sort_keys,
        allow_unicode=True,
    )


def _content_end(text: str, node: yaml.Node) -> int:
    """Where the last character of `node`'s content is, trailing blanks and breaks left out."""
    import yaml

    if isinstance(node, yaml.MappingNode) and not node.flow_style and node.value:
        return max(_content_end(text, part) for pair in node.value for part in pair)
    if isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value:
        return max(_content_end(text, item) for item in node.value)
    end = node.end_mark.index
    while end > node.start_mark.index and text[end - 1] in " \t\r\n":
        end -= 1  # a block scalar's end mark is past its line breaks
    return end


def entry_spans(text: str) -> list[tuple[str, int, int]] | None:
    """Where each entry of a document that is one block mapping is: (key, start, end).

    `start` is the start of the key's line, `end` the end of the line (after its line
    break) holding the entry's last content, so comments and blank lines between entries
    belong to none of them. None for any other document (flow style, scalars, ...).
    The caller has checked the document with `load_yaml` already.

    >>> entry_spans("# hi\\na: 1\\nb:\\n  c: 2\\n# bye\\n")
    [('a', 5, 10), ('b', 10, 20)]
    """
    import yaml

    loader = yaml.SafeLoader(text)  # the pure-Python parser: its marks carry offsets
    try:
        node = loader.get_single_node()
    finally:
        loader.dispose()
    if not isinstance(node, yaml.MappingNode) or node.flow_style:
        return None
    spans = []
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode):
            return None
        start = text.rfind("\n", 0, key.start_mark.index) + 1
        if text[start : key.start_mark.index].strip():
            return None  # something else before the key on its line (`--- a: 1`)
        end = text.find("\n", _content_end(text, value))
        spans.append((key.value, start, len(text) if end < 0 else end + 1))
    return spans
