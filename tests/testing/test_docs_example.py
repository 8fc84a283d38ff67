"""docs/testing.md's example runs as written (with fewer examples) and its custom invariant bites."""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from experiencehub import Stage

DOC = Path(__file__).resolve().parents[2] / "docs" / "testing.md"
SMALL = settings(
    max_examples=60,
    stateful_step_count=40,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _example() -> dict[str, Any]:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(r"<!-- example -->\s*```python\n(.*?)```", text, re.S)
    assert match, "docs/testing.md lost its <!-- example --> block"
    module = ModuleType("docs_testing_example")
    exec(compile(match.group(1), str(DOC), "exec"), module.__dict__)
    return module.__dict__


def test_docs_example_runs() -> None:
    example = _example()
    assert example["TestOurRouting"].settings.max_examples == 200
    run_state_machine_as_test(example["OurRouting"], settings=SMALL)


def test_docs_example_invariant_catches_a_wrong_rule() -> None:
    """Loosen stage 0 of the Swiss chat queue to cost 1: the team's own invariant must fail."""
    example = _example()
    centre = example["OUR_CENTRE"]
    chat = attrs.evolve(centre.queues[1], stages=(Stage(after=0, max_cost=1),))
    loose = attrs.evolve(centre, queues=(centre.queues[0], chat))

    class Loose(example["OurRouting"]):  # type: ignore[misc]
        config = loose

    with pytest.raises(AssertionError, match=r"Offer\(.*queue='chat-de-ch'.*stage=0"):
        run_state_machine_as_test(
            Loose, settings=settings(SMALL, max_examples=300, phases=[Phase.generate])
        )
