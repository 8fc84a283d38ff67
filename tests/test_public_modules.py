"""The module names users read in errors and docs can be imported as modules.

``experiencehub.events`` and ``experiencehub.decisions`` re-export the public names of
``experiencehub.core.events`` and ``experiencehub.core.decisions``.
"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

import experiencehub
from experiencehub.core import decisions as core_decisions
from experiencehub.core import events as core_events

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("name", "core"), [("events", core_events), ("decisions", core_decisions)])
def test_events_and_decisions_are_modules_with_the_core_public_names(
    name: str, core: object
) -> None:
    module = importlib.import_module(f"experiencehub.{name}")
    assert getattr(experiencehub, name) is module is sys.modules[f"experiencehub.{name}"]
    assert sorted(module.__all__) == sorted(core.__all__)  # type: ignore[attr-defined]
    for public in module.__all__:
        assert getattr(module, public) is getattr(core, public)


@pytest.mark.parametrize(
    "code",
    [
        "import experiencehub.events as ev; ev.ContactArrived",
        "from experiencehub.events import ContactArrived, Tick",
        "import experiencehub.decisions as dc; dc.Offer",
        "from experiencehub.decisions import Offer, Enqueued",
        "from experiencehub import events, decisions; events.Tick; decisions.Offer",
    ],
)
def test_the_modules_import_in_a_fresh_interpreter(code: str) -> None:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_every_module_an_error_message_points_to_can_be_imported() -> None:
    """``"... (see experiencehub.events)"`` must name something ``import`` accepts."""
    named = {
        match
        for path in (ROOT / "src" / "experiencehub").rglob("*.py")
        for match in re.findall(r"see (experiencehub(?:\.\w+)+)", path.read_text(encoding="utf-8"))
    }
    assert "experiencehub.events" in named
    for name in sorted(named):
        importlib.import_module(name)
