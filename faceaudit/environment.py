"""Where a command's input comes from and its output goes, passed to the CLI as an argument.

Modelled on httpie's `Environment`: the command line never reaches for `sys.stdout`, the
terminal's width or module-level consoles itself, so a test runs a command in this process
with consoles that write to memory and a stdin holding what the "user" types, patching nothing.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TextIO

from rich.console import Console


@dataclass
class Environment:
    """One command's surroundings. `home` and `debug` start as the caller's defaults; the
    `--home` and `--debug` options override them for that command."""

    stdout: Console  # the report, results, JSON
    stderr: Console  # progress, notes, errors
    stdin: TextIO  # what the user types at a prompt
    stdin_isatty: bool  # is there a person to ask? (no prompt in scripts and pipes)
    home: Path | None = None  # the workspace folder; None: $FACEAUDIT_HOME or the user data folder
    debug: bool = False  # tracebacks on errors
    verbosity: int = 0  # -1 with -q (results and errors only), 1 with -v (the details too)
    colour: bool = True  # False under NO_COLOR: no colour, bold or dim anywhere, `--help` included

    @classmethod
    def standard(cls) -> Environment:
        """The real process's: its terminal (width as the terminal says) and its stdin. A non-empty
        NO_COLOR (https://no-color.org) turns every style off: rich's own NO_COLOR handling drops
        colours but keeps bold and dim, a colour system of None drops them all."""
        stdin = sys.stdin
        colour = not os.environ.get("NO_COLOR")
        system: Literal["auto"] | None = "auto" if colour else None
        return cls(stdout=Console(color_system=system), stderr=Console(stderr=True, color_system=system),
                   stdin=stdin, stdin_isatty=stdin is not None and stdin.isatty(), colour=colour)

    @property
    def quiet(self) -> bool:
        """-q: no progress bars, notes or banners; results and errors only."""
        return self.verbosity < 0

    @property
    def verbose(self) -> bool:
        """-v: the detail lines too (why this engine, how each account's crawl ended)."""
        return self.verbosity > 0

    @property
    def width(self) -> int:
        """How many columns the output is laid out in: the stdout console's width."""
        return self.stdout.width

    def write(self, text: str) -> None:
        """`text` and a newline on stdout exactly as given: JSON must reach a pipe unwrapped and
        unstyled, which the console's `print` does not promise."""
        file = self.stdout.file
        file.write(text + "\n")
        file.flush()

    def ask(self, question: str) -> str:
        """What the user types after `question` (shown on stdout, as Click's prompt did). End of
        input is EOFError, which the CLI reports as "aborted"."""
        file = self.stdout.file
        file.write(f"{question}: ")
        file.flush()
        if self.stdin is sys.stdin:
            return input()  # line editing at a real terminal; EOFError at the end of input
        line = self.stdin.readline()
        if not line:
            raise EOFError
        return line.rstrip("\n")

    def confirm(self, question: str, *, default: bool = False) -> bool:
        """A yes/no question; an empty answer is `default`, anything else but y/yes is no."""
        answer = self.ask(f"{question} [{'Y/n' if default else 'y/N'}]").strip().lower()
        return default if not answer else answer in ("y", "yes")
