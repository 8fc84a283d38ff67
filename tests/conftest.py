"""Test-wide settings: under CI (env ``CI`` set, as ``.ci/run`` does) hypothesis draws the same
examples on every run, so a red run is reproducible and never a fresh random draw; locally every run
explores new examples."""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
