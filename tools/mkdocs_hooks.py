"""mkdocs hook: every page in docs/ is on the site, even one mkdocs.yml's nav does not name yet.

A page that the nav leaves out is appended to its "Operations" section (with a note in the build
log), so adding ``docs/whatever.md`` needs no edit of mkdocs.yml; name it in the nav to place it
elsewhere or give it a title.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

log = logging.getLogger("mkdocs.hooks.nav")

SECTION = "Operations"


def _named(nav: Any) -> set[str]:
    """Every page path the nav names, at any depth."""
    if isinstance(nav, str):
        return {nav}
    if isinstance(nav, list):
        return set().union(*(_named(item) for item in nav)) if nav else set()
    if isinstance(nav, dict):
        return set().union(*(_named(value) for value in nav.values())) if nav else set()
    return set()


def on_config(config: Any) -> Any:
    nav = config["nav"]
    named = _named(nav)
    docs = Path(config["docs_dir"])
    missing = sorted(
        path.relative_to(docs).as_posix()
        for path in docs.rglob("*.md")
        if path.relative_to(docs).as_posix() not in named
    )
    if not missing:
        return config
    section = next((item for item in nav if isinstance(item, dict) and SECTION in item), None)
    if section is None:
        section = {SECTION: []}
        nav.append(section)
    section[SECTION].extend(missing)
    log.info("pages not named in mkdocs.yml's nav, added to %s: %s", SECTION, ", ".join(missing))
    return config
