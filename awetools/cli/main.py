"""Entry point of the ``awe`` command.

Every subcommand lives in its own module under ``awetools.cli`` (listed in
:mod:`awetools.cli.commands`) and registers itself on ``app`` or ``eval_app``.
:func:`main` turns user errors (:class:`awetools.errors.AweError`) into one line on
stderr and exit status 1, bad usage into exit status 2, and Ctrl-C into 130.  An
``OSError`` that no tool turned into an ``AweError`` (a failing disk, a vanished file)
is a user's problem too: one line and status 1, its traceback only with ``--debug``.
"""

from __future__ import annotations

import shlex
import sys
import traceback
from pathlib import Path

import typer

from awetools import __version__
from awetools.cli.commands import command_of, register
from awetools.errors import AweError

app = typer.Typer(
    name="awe",
    help="awetools: acoustic word embeddings, Kaldi style.\n\n"
    "Small tools that read and write Kaldi archives and HDF5, chained by shell recipes.\n\n"
    "Example:  awe segment --ctm data/train/words.ctm data/train data/train_words",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
eval_app = typer.Typer(
    help="Evaluate embeddings; one summary line on stdout, full results with --json.",
    rich_markup_mode=None,
    no_args_is_help=True,
)
app.add_typer(eval_app, name="eval")

_state = {"debug": False}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"awe (awetools) {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
    debug: bool = typer.Option(False, "--debug", help="Show a traceback on errors."),
) -> None:
    _state["debug"] = debug


def expand_config(argv: list[str]) -> list[str]:
    """Replace ``--config FILE`` by the options in FILE (Kaldi's ``--config``).

    FILE holds options one or more per line (shell quoting), ``#`` starts a comment;
    options given after ``--config`` on the command line win, as in Kaldi.
    """
    out: list[str] = []
    args = iter(argv)
    for arg in args:
        if arg == "--config" or arg.startswith("--config="):
            name = arg.split("=", 1)[1] if "=" in arg else next(args, None)
            if not name:
                raise AweError("--config needs a file name")
            try:
                text = Path(name).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise AweError(f"{name}: cannot read config file ({exc.__class__.__name__})") from None
            for number, line in enumerate(text.splitlines(), start=1):
                try:
                    out.extend(shlex.split(line, comments=True))
                except ValueError as exc:
                    raise AweError(f"{name}:{number}: {exc}") from None
        else:
            out.append(arg)
    return out


def main(argv: list[str] | None = None) -> int:
    """Run ``awe`` and return its exit status (1 for user errors, 2 for bad usage)."""
    argv = list(argv if argv is not None else sys.argv[1:])
    prog = " ".join(["awe", command_of(argv)]).strip()
    try:
        argv = expand_config(argv)
        register(argv)
        app(args=argv, prog_name="awe")  # standalone: usage errors exit 2 by themselves
    except SystemExit as exc:
        if exc.code == 130:  # typer turns Ctrl-C into a silent exit 130
            print(f"{prog}: interrupted", file=sys.stderr)
        return exc.code if isinstance(exc.code, int) else 1
    except (AweError, OSError) as exc:
        if _state["debug"]:
            traceback.print_exc()
        message = " ".join(str(exc).split())  # h5py's OSErrors span several lines
        print(f"{prog}: error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    return 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
