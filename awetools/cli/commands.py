"""Registry of subcommands: command name -> module under ``awetools.cli``.

Each module registers itself on ``app`` (or ``eval_app``) when imported.  ``awe`` imports
only the module of the command being run, so ``awe segment`` never pays for importing
torch; ``awe --help`` and shell completion import them all.
"""

from __future__ import annotations

import importlib

COMMANDS = {
    "synth": "synth",
    "augment": "augment",
    "segment": "segment",
    "featurize": "featurize",
    "train-phonetic": "train_phonetic",
    "embed": "embed",
    "normalise": "normalise",
    "cluster": "cluster",
    "train-skipgram": "train_skipgram",
    "align": "align",
    "eval samediff": "eval_samediff",
    "eval wordsim": "eval_wordsim",
    "eval qbe": "eval_qbe",
    "eval translate": "eval_translate",
    "eval probe": "eval_probe",
    "report": "report",
    "plot": "plot",
}


def command_of(argv: list[str]) -> str:
    """The command named on a command line (``eval`` takes its task): ``'eval qbe'``."""
    words = [a for a in argv if not a.startswith("-")]
    if words[:1] == ["eval"]:
        return " ".join(words[:2])
    return words[0] if words else ""


def register(argv: list[str]) -> None:
    """Import the module of the command in ``argv``, or every module if none is named
    (``awe --help``, completion); none for a bare ``awe --version``."""
    wanted = COMMANDS.get(command_of(argv))
    if wanted is None and "--version" in argv:
        return
    for module in [wanted] if wanted else dict.fromkeys(COMMANDS.values()):
        importlib.import_module(f"awetools.cli.{module}")
