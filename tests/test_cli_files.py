"""The command's files: unreadable scenarios and unwritable outputs end in one line and exit 2,
checked before a run starts; `python -m experiencehub`, the extras and the choices in --help."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from experiencehub.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]

SMALL = """
[simulation]
duration = 600
[[queues]]
name = "q"
channel = "chat"
requires = ["s"]
[[agents]]
group = "g"
count = 2
skills = { s = 1 }
capacity = { chat = 1 }
[[workload]]
queue = "q"
arrivals = { kind = "poisson", per_hour = 30 }
handle_seconds = { kind = "exponential", mean = 60 }
"""


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    return path


def one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.parametrize("command", ["validate", "simulate", "compare"])
def test_a_scenario_that_is_not_utf8_is_one_line_and_exit_2(tmp_path: Path, command: str) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(SMALL.replace('"q"', '"caf\xe9"').encode("latin-1"))
    result = runner.invoke(app, [command, str(path)])
    assert result.exit_code == 2
    line = one_error_line(result.stderr)
    assert f"{path}: not UTF-8 text" in line and "save it as UTF-8" in line


def test_an_existing_report_is_kept_unless_forced(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "index.html").write_text("keep me")
    (tmp_path / "ev.jsonl").unlink(missing_ok=True)
    args = ["simulate", str(small), "--report", str(out), "--events", str(tmp_path / "ev.jsonl")]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2
    assert "already holds a report (index.html); add --force" in one_error_line(refused.stderr)
    assert (out / "index.html").read_text() == "keep me"
    assert not (tmp_path / "ev.jsonl").exists()  # refused before the run: nothing written
    forced = runner.invoke(app, [*args, "--force"])
    assert forced.exit_code == 0, forced.output
    assert (out / "index.html").read_text() != "keep me"


def test_compare_checks_its_report_before_running(small: Path, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "index.html").write_text("old")
    args = ["compare", str(small), "--policy", "longest_idle", "--policy", "random"]
    result = runner.invoke(app, [*args, "--report", str(tmp_path / "out")])
    assert result.exit_code == 2 and "--force" in one_error_line(result.stderr)


@pytest.mark.parametrize("option", ["--report", "--events"])
def test_an_output_under_a_file_is_refused_before_the_run(
    small: Path, tmp_path: Path, option: str
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    result = runner.invoke(app, ["simulate", str(small), option, str(blocker / "out")])
    assert result.exit_code == 2
    assert f"{option} {blocker / 'out'}: {blocker} is a file" in one_error_line(result.stderr)


def test_report_given_a_file_and_events_given_a_directory(small: Path, tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("")
    result = runner.invoke(app, ["simulate", str(small), "--report", str(page), "--force"])
    assert result.exit_code == 2 and "is a file; give a directory" in result.stderr
    result = runner.invoke(app, ["simulate", str(small), "--events", str(tmp_path)])
    assert result.exit_code == 2 and "is a directory; give a file name" in result.stderr


def help_text(command: str) -> str:
    """The --help page as plain words (rich draws boxes and wraps lines)."""
    output = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"}).output
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", output).split())


def test_help_lists_the_policies_and_presets() -> None:
    text = help_text("simulate")
    assert "longest_idle, most_proficient, least_occupied" in text, text
    assert "resolution_rate; or module:attribute" in text
    assert "experiencehub, amazon-connect, genesys" in text
    assert "fewest_skills" in help_text("compare") and "--force" in help_text("compare")


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )


def test_python_dash_m_runs_the_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "experiencehub", "--version"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0 and result.stdout.startswith("experiencehub ")


@pytest.mark.parametrize("package", ["typer", "rich", "cattrs"])
def test_without_the_cli_extra_the_command_names_it(package: str) -> None:
    result = _python(
        f"import sys; sys.modules[{package!r}] = None\n"
        "sys.argv = ['experiencehub', '--version']\n"
        "from experiencehub.__main__ import main; main()"
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"experiencehub: the command needs the cli extra ({package} is not installed): "
        "pip install 'experiencehub[cli]'"
    )


def test_simulating_needs_no_matplotlib(tmp_path: Path) -> None:
    (tmp_path / "s.toml").write_text(SMALL)
    blocked = "import sys; sys.modules['matplotlib'] = None\n"
    library = _python(
        blocked + "from experiencehub.sim import load_scenario, simulate\n"
        f"print(simulate(load_scenario({str(tmp_path / 's.toml')!r})).kpis['overall']['offered'] > 0)"
    )
    assert library.returncode == 0 and library.stdout.strip() == "True", library.stderr
    command = _python(
        blocked + "from experiencehub.__main__ import main\n"
        f"sys.argv = ['experiencehub', 'simulate', {str(tmp_path / 's.toml')!r}, '--json']\nmain()"
    )
    assert command.returncode == 0, command.stderr
    report = _python(
        blocked + "from experiencehub.__main__ import main\n"
        f"sys.argv = ['experiencehub', 'simulate', {str(tmp_path / 's.toml')!r}, '--report', "
        f"{str(tmp_path / 'out')!r}]\nmain()"
    )
    assert report.returncode == 2
    assert "--report needs matplotlib: pip install 'experiencehub[report]'" in report.stderr


def test_a_write_that_fails_after_the_run_is_one_line_and_exit_2(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(*_args: object, **_kwargs: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("experiencehub.cli.write_events", full_disk)
    result = runner.invoke(app, ["simulate", str(small), "--events", str(tmp_path / "ev.jsonl")])
    assert result.exit_code == 2
    line = one_error_line(result.stderr)
    assert (
        line == f"error: --events {tmp_path / 'ev.jsonl'}: cannot write (No space left on device)"
    )


def test_an_existing_events_file_is_kept_unless_forced(small: Path, tmp_path: Path) -> None:
    events = tmp_path / "ev.jsonl"
    events.write_text("keep me\n")
    result = runner.invoke(app, ["simulate", str(small), "--events", str(events)])
    assert result.exit_code == 2
    assert f"--events {events}: already exists; add --force" in one_error_line(result.stderr)
    assert events.read_text() == "keep me\n"
    result = runner.invoke(app, ["simulate", str(small), "--events", str(events), "--force"])
    assert result.exit_code == 0, result.output
    assert events.read_text() != "keep me\n"
