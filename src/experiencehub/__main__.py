"""``python -m experiencehub`` and the ``experiencehub`` command: the CLI, or which extra to install.

This module owns only the entry point. The command itself is :mod:`experiencehub.cli`, which needs
the ``cli`` extra (typer, rich, cattrs); without it, this says so in one line instead of a
traceback.
"""

from __future__ import annotations

import sys

__all__ = ["main"]

CLI_PACKAGES = frozenset({"typer", "rich", "click", "cattrs", "tomli"})
"""Top-level packages the ``cli`` extra installs (click comes with typer)."""


def main() -> None:
    """Run the command, or exit 1 naming the missing package and the extra. Cost: the command's."""
    try:
        from .cli import main as command  # noqa: PLC0415 - needs the cli extra
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").partition(".")[0]
        if missing not in CLI_PACKAGES:
            raise
        sys.stderr.write(
            f"experiencehub: the command needs the cli extra ({missing} is not installed): "
            "pip install 'experiencehub[cli]'\n"
        )
        raise SystemExit(1) from None
    command()


if __name__ == "__main__":
    main()
