"""Find the line of a TOML key path (``events[2].milestones[0].threshold``) in the text."""

from __future__ import annotations

import re
from typing import Final

_HEADER_RE: Final = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_PART: Final = r"""(?:[A-Za-z0-9_\-]+|"[^"]*"|'[^']*')"""
_KEY_RE: Final = re.compile(rf"^\s*({_PART}(?:\s*\.\s*{_PART})*)\s*=")
_PART_RE: Final = re.compile(_PART)


def _parts(dotted: str) -> list[str]:
    return [part.strip("\"'") for part in _PART_RE.findall(dotted)]


class KeyLines:
    """Line numbers (1-based) of every table header and key of one TOML text.

    The text is indexed on the first question (a valid file never pays for it). A key
    inside an inline table or array has no line of its own; :meth:`line` then answers
    with the line of the nearest enclosing key.
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._lines: dict[str, int] | None = None

    def _index(self) -> dict[str, int]:
        if self._lines is not None:
            return self._lines
        lines: dict[str, int] = {}
        self._lines = lines
        text = self._text
        arrays: dict[str, int] = {}
        table = ""
        in_string = False
        for number, line in enumerate(text.splitlines(), start=1):
            if in_string:
                in_string = line.count('"""') % 2 == 0 and line.count("'''") % 2 == 0
                continue
            header = _HEADER_RE.match(line)
            if header is not None:
                table = self._resolve(_parts(header.group(2)), arrays, header.group(1) == "[[")
                lines.setdefault(table, number)
                continue
            key = _KEY_RE.match(line)
            if key is None:
                continue
            path = ".".join([table, *_parts(key.group(1))] if table else _parts(key.group(1)))
            lines.setdefault(path, number)
            rest = line[key.end() :]
            in_string = rest.count('"""') % 2 == 1 or rest.count("'''") % 2 == 1
        return lines

    @staticmethod
    def _resolve(parts: list[str], arrays: dict[str, int], is_array: bool) -> str:
        path = ""
        for i, part in enumerate(parts):
            path = f"{path}.{part}" if path else part
            if is_array and i == len(parts) - 1:
                arrays[path] = arrays.get(path, -1) + 1
                path = f"{path}[{arrays[path]}]"
            elif path in arrays:
                path = f"{path}[{arrays[path]}]"
        return path

    def line(self, path: str) -> int | None:
        """The line of ``path``, else of its nearest parent in the text, else ``None``."""
        lines = self._index()
        while path:
            found = lines.get(path)
            if found is not None:
                return found
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return None
