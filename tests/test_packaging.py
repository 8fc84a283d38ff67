"""Packaging: one version everywhere, the licence shipped, the metadata a package index shows."""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

from typer.testing import CliRunner

import experiencehub
from experiencehub.cli import app

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the cli extra installs tomli on 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def _project() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        project: dict[str, object] = tomllib.load(file)["project"]
    return project


def test_the_version_has_one_source() -> None:
    project = _project()
    assert "version" not in project and project["dynamic"] == ["version"]
    assert importlib.metadata.version("experiencehub") == experiencehub.__version__


def test_cli_version_is_the_package_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"experiencehub {experiencehub.__version__}"


def test_licence_and_classifiers_agree() -> None:
    project = _project()
    licence = (ROOT / "LICENSE").read_text()
    assert licence.startswith("MIT License") and "experiencehub contributors" in licence
    classifiers = project["classifiers"]
    assert isinstance(classifiers, list)
    assert "License :: OSI Approved :: MIT License" in classifiers
    assert "Typing :: Typed" in classifiers and (ROOT / "src/experiencehub/py.typed").exists()
    versions = {
        c.rsplit(" ", 1)[-1]
        for c in classifiers
        if c.startswith("Programming Language :: Python :: 3.")
    }
    assert versions == {"3.10", "3.11", "3.12", "3.13"}
    assert project["requires-python"] == ">=3.10"
