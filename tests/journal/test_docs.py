"""docs/durability.md's Python blocks run as written, in order, and show what the page says."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "durability.md"


def test_durability_page_runs_as_written() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 3
    namespace: dict[str, object] = {}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        for block in blocks:
            exec(compile(block, str(DOC), "exec"), namespace)
    lines = printed.getvalue().splitlines()
    assert lines[0] == "['Offer']"
    assert lines[1].startswith("4 RecoveryReport(snapshot_seq=0, replayed=4")
    assert lines[2] == (
        "ann available [Work(contact_id='c1', channel='chat', phase='connected', since=2.0, "
        "until=None), Work(contact_id='c2', channel='chat', phase='offered', since=3.0, until=33.0)]"
    )
    assert lines[3] == "[4, 5]"
