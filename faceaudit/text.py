"""Text from pages and platforms made safe to print in a terminal.

An alt text, a page title, a URL or an EXIF camera name is written by whoever made the page, and
a terminal acts on control characters: ESC starts sequences that clear the screen, set the
window title or plant a hidden link (OSC 8), a bare CR or a newline lets a page forge a report
line, and bidi overrides make text read backwards. `printable` shows each such character as a
visible escape (`\\x1b`, `\\r`, `\\u202e`) instead, whether or not the output is a terminal,
so the user sees what the page holds and the terminal does nothing with it.

The bottom floor: it imports nothing of faceaudit, so every layer that prints may use it.
"""

from __future__ import annotations

import dataclasses
import re
from enum import Enum
from typing import Any, TypeVar, cast

# C0 controls (NUL…US: ESC, CR, LF, TAB, BEL, backspace), DEL, C1 controls (U+0080–U+009F: CSI
# and OSC have one-character forms there), the Unicode line and paragraph separators, and the
# bidi embeddings, overrides and isolates that reorder what follows them on screen.
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

T = TypeVar("T")


def printable(text: str) -> str:
    """`text` with every control, line-breaking and bidi-override character shown as an escape:
    "a\\x1b[2Jb" prints as `a\\x1b[2Jb`, never clearing the screen. Ordinary text is returned
    unchanged (the same object)."""
    if not UNSAFE.search(text):
        return text
    return UNSAFE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _SHORT:
        return _SHORT[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable_fields(value: T) -> T:
    """A copy of `value` with every string inside it made `printable`: dataclasses (by their
    init fields), lists, tuples, sets and dicts (keys too), however nested. Enums, numbers,
    bytes and None are kept as they are. A renderer calls it once on what it is given, so a
    field added to a record later cannot reach the terminal raw."""
    return cast(T, _walk(value))


def _walk(value: object) -> object:
    if isinstance(value, Enum):  # a str enum is ours, and must stay an enum
        return value
    if isinstance(value, str):
        return printable(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _walk(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
        return dataclasses.replace(value, **changes)
    if isinstance(value, list):
        return [_walk(item) for item in value]
    if isinstance(value, tuple):
        items = [_walk(item) for item in value]
        if hasattr(value, "_fields"):  # a named tuple is built from its fields, not an iterable
            named: Any = type(value)
            return named(*items)
        return tuple(items)
    if isinstance(value, (set, frozenset)):
        return type(value)(_walk(item) for item in value)
    if isinstance(value, dict):
        return {_walk(key): _walk(item) for key, item in value.items()}
    return value
