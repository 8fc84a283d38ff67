"""Every Python example in the docs runs: README.md, CHANGELOG.md, CONTRIBUTING.md and docs/**/*.md.

Each page's ```python blocks run in order in one namespace (a page is one session), in a
temporary directory that holds links to ``scenarios/`` and ``examples/``, so files an example
writes (``context.db``) vanish afterwards. A block of ``>>>`` lines is a doctest: its output is
checked (ELLIPSIS and NORMALIZE_WHITESPACE on). A block that cannot run — an excerpt of a class, a
partial snippet — says so with ``<!-- not-run: reason -->`` on the line before its fence, and
:data:`MAX_NOT_RUN` keeps those rare. A page whose examples need a service (a database server)
names the test that runs them with ``<!-- run-by: tests/....py -->``; that file must exist and name
the page. Every fence names its language, so no Python hides in an unlabelled block. A new page is
covered without editing this file. Cost: about 15 s, nearly all of it the simulations of
docs/scenarios.md.
"""

from __future__ import annotations

import doctest
import os
import re
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from experiencehub.sim import scenario, scenario_types

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted(
    [
        *(ROOT / name for name in ("README.md", "CHANGELOG.md", "CONTRIBUTING.md")),
        *(ROOT / "docs").rglob("*.md"),
    ]
)
PAGES = [page for page in PAGES if page.exists()]
PYTHON = {"python", "py", "pycon"}
MAX_NOT_RUN = 6
_FENCE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<fence>```+|~~~+)(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)(?P=fence)[ \t]*$",
    re.M | re.S,
)
_NOT_RUN = re.compile(r"<!--\s*not-run:\s*(?P<reason>\S.*?)\s*-->\s*$")
_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
# A page whose examples need a service (a PostgreSQL server) names the test that runs them.
_RUN_BY = re.compile(r"<!--\s*run-by:\s*(?P<test>\S+\.py)\b[^>]*-->")


@attrs.frozen
class Block:
    page: Path
    line: int  # the first line of the block's body, 1-based
    language: str
    body: str
    not_run: str | None  # the reason, when the page says the block does not run

    @property
    def where(self) -> str:
        page = self.page.relative_to(ROOT) if self.page.is_relative_to(ROOT) else self.page
        return f"{page}:{self.line}"


def blocks(page: Path) -> Iterator[Block]:
    """The fenced blocks of one page, in order, with their language and not-run reason."""
    text = page.read_text(encoding="utf-8")
    for match in _FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 2
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        reason = _NOT_RUN.search(before)
        indent = len(match["indent"])
        body = "\n".join(row[indent:] for row in match["body"].splitlines())
        language = match["info"].strip().split(" ")[0].lstrip("{.").rstrip("}")
        yield Block(page, line, language, body, reason["reason"] if reason else None)


def _pages_with_python() -> list[Path]:
    return [p for p in PAGES if any(b.language in PYTHON for b in blocks(p))]


def _run(block: Block, namespace: dict[str, object]) -> None:
    if block.body.lstrip().startswith(">>>"):
        test = doctest.DocTestParser().get_doctest(
            block.body, namespace, block.where, str(block.page), block.line - 1
        )
        runner = doctest.DocTestRunner(optionflags=_FLAGS)
        messages: list[str] = []
        runner.run(test, out=messages.append, clear_globs=False)
        namespace.update(test.globs)
        assert runner.failures == 0, "".join(messages)
    else:
        # Padding puts tracebacks on the page's own line numbers.
        code = compile("\n" * (block.line - 1) + block.body, str(block.page), "exec")
        exec(code, namespace)  # running the docs' examples is this test's job


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("scenarios", "examples"):
        (tmp_path / name).symlink_to(ROOT / name, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("page", _pages_with_python(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_python_examples_run(page: Path, workdir: Path) -> None:
    run_by = _RUN_BY.search(page.read_text(encoding="utf-8"))
    if run_by is not None:
        runner = ROOT / run_by["test"]
        assert runner.is_file() and page.name in runner.read_text(encoding="utf-8"), run_by[0]
        pytest.skip(f"its examples need a service; {run_by['test']} runs them")
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for block in blocks(page):
        if block.language in PYTHON and block.not_run is None:
            _run(block, namespace)
    assert Path.cwd() == workdir and os.listdir(workdir)  # ran in the scratch directory


def test_every_fence_names_its_language() -> None:
    unlabelled = [b.where for p in PAGES for b in blocks(p) if not b.language]
    assert not unlabelled, f"fences without a language (python, sh, toml, text…): {unlabelled}"


def test_not_run_blocks_are_few_and_say_why() -> None:
    skipped = [b for p in PAGES for b in blocks(p) if b.not_run is not None]
    assert all(b.language in PYTHON for b in skipped), "not-run marks only Python blocks"
    assert len(skipped) <= MAX_NOT_RUN, "\n".join(f"{b.where}: {b.not_run}" for b in skipped)


def test_the_block_finder_sees_marks_and_languages(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "text\n\n```python\nx = 1\n```\n\n<!-- not-run: a fragment -->\n```python\ny(\n```\n\n"
        "- item\n\n  ```sh\n  ls\n  ```\n\n```\nbare\n```\n"
    )
    found = [(b.line, b.language, b.body, b.not_run) for b in blocks(page)]
    assert found == [
        (4, "python", "x = 1", None),
        (9, "python", "y(", "a fragment"),
        (15, "sh", "ls", None),
        (19, "", "bare", None),
    ]


def test_a_failing_example_fails(workdir: Path) -> None:
    page = workdir / "page.md"
    with pytest.raises(NameError):
        _run(Block(page, 3, "python", "undefined_name", None), {})
    with pytest.raises(AssertionError, match="Expected"):
        _run(Block(page, 3, "python", ">>> 1 + 1\n3", None), {})


def test_the_scenario_reference_names_every_key() -> None:
    """Every field of every scenario class is a key of the file, so docs/scenarios.md names it."""
    text = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    classes = [
        value
        for name, value in vars(scenario).items()
        if attrs.has(value) and value.__module__ == scenario_types.__name__ and not name.startswith("_")
    ]
    assert scenario.Scenario in classes and len(classes) > 10
    keys = {(cls.__name__, f.name) for cls in classes for f in attrs.fields(cls)} - {
        ("Scenario", "base_dir")  # where relative paths start: the file's folder, not a key
    }
    missing = sorted(f"{cls}.{key}" for cls, key in keys if not re.search(rf"\b{key}\b", text))
    assert not missing, f"keys the scenario reference does not name: {missing}"


def test_pages_point_only_to_what_a_user_can_open() -> None:
    internal = re.compile(r"design\.md|\bissues? #?\d+|(?<![\w&/])#\d+\b", re.I)
    found = [
        f"{page.relative_to(ROOT)}:{n}: {line.strip()}"
        for page in PAGES
        for n, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1)
        if internal.search(line)
    ]
    assert not found, "internal notes or issue numbers:\n" + "\n".join(found)


def test_the_architecture_page_names_files_that_exist() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = set(re.findall(r"[\w./]+\.py\b", text)) | set(re.findall(r"`(\w+/)`", text))
    assert len(named) > 30
    package = ROOT / "src" / "experiencehub"
    modules = {path.name for path in package.rglob("*.py")}
    missing = sorted(
        name
        for name in named
        if not any((base / name).exists() for base in (ROOT, package))
        and ("/" in name or name not in modules)
    )
    assert not missing, f"docs/architecture.md names files that are gone (update it): {missing}"
