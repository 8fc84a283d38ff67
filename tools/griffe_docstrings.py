"""griffe extension: render this project's docstrings (reST-flavoured plain text) as Markdown.

The docstrings are written to read well in ``help()`` and to run as doctests, so the API reference
converts two things when it loads them, and changes nothing in the source:

- ``>>>`` examples (with their ``...`` continuations and expected output) become ``pycon`` code
  blocks, instead of Markdown block quotes;
- Sphinx roles such as ``:class:`Identity``` and ``:mod:`.pools``` become inline code, and reST's
  double backticks become single ones.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:class|func|meth|mod|attr|data|exc|obj|ref):`~?([^`]+)`")
_DOUBLE = re.compile(r"``([^`]+)``")


def _fence_doctests(text: str) -> str:
    out: list[str] = []
    in_example = in_fence = False
    for line in text.splitlines():
        if line.lstrip().startswith("```") and not in_example:
            in_fence = not in_fence
        starts = line.lstrip().startswith(">>>") and not in_fence
        if starts and not in_example:
            out.append("```pycon")
            in_example = True
        elif in_example and not line.strip():
            out.append("```")
            in_example = False
        out.append(line)
    if in_example:
        out.append("```")
    return "\n".join(out)


def markdown_of(text: str) -> str:
    """The Markdown the site shows for one docstring."""
    text = _ROLE.sub(r"`\1`", text)
    text = _DOUBLE.sub(r"`\1`", text)
    return _fence_doctests(text)


class DocstringsAsMarkdown(griffe.Extension):
    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = markdown_of(obj.docstring.value)
