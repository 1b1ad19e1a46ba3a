"""Shared pytest fixtures: a real FSDD data dir, its word segments and their features.

Fixtures (session-scoped ones are built once and must be treated as read-only):

- ``fsdd_dir``: utterance data dir (wav.scp, text, utt2spk, spk2utt, words.ctm) for the
  180 real recordings in ``tests/data/fsdd`` (6 speakers x 10 digits x 3).
- ``fsdd_words``: the word-segment data dir written by ``awe segment --ctm`` from it.
- ``fsdd_feats``: :class:`FeatureTable` of ``awe featurize --sample-rate 8000`` (39-d MFCC,
  per-speaker CMVN) written as ``ark,scp``.
- ``run_awe``: ``run_awe([...]) -> (rc, stdout, stderr)``, ``awe`` run in-process
  (:func:`awetools.cli.main.main`) with output captured by ``capsys``.

Plain helpers: :func:`awe_command` (argv prefix to run ``awe`` as a subprocess with this
interpreter), :func:`awe_subprocess` and :func:`awe_torchrun` (``awe`` under a real
``torchrun`` with N CPU processes).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from awetools.cli.main import main
from awetools.corpus.fsdd import prepare_fsdd

# A shell starts background jobs (`make test &`, `nohup ... &`) with SIGINT ignored, and an
# ignored signal stays ignored across exec: the Ctrl-C tests' subprocesses would never see
# their SIGINT.  A handled signal is reset to the default on exec, so handle it here.
signal.signal(signal.SIGINT, signal.default_int_handler)

TESTS = Path(__file__).resolve().parent
FSDD_RECORDINGS = TESTS / "data" / "fsdd"
FSDD_SPEAKERS = ("george", "jackson", "lucas", "nicolas", "theo", "yweweler")
FSDD_RATE = 8000

# No progress bars in test logs (tools still draw them when a user runs them).
os.environ.setdefault("AWE_NO_PROGRESS", "1")


def awe_command() -> list[str]:
    """argv prefix that runs ``awe`` with the interpreter running the tests."""
    return [sys.executable, "-m", "awetools"]


def awe_subprocess(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run ``awe ARGS`` as a subprocess; stdout/stderr captured as bytes unless overridden."""
    kwargs.setdefault("capture_output", True)
    return subprocess.run([*awe_command(), *map(str, args)], **kwargs)


def awe_torchrun(args: list, nproc: int = 2, timeout: float = 600) -> subprocess.CompletedProcess:
    """``torchrun --standalone --nproc-per-node N -m awetools ARGS`` (gloo on CPU), text output."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    return subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                           f"--nproc-per-node={nproc}", "-m", "awetools", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=timeout)


def torchrun_errors(result: subprocess.CompletedProcess) -> str:
    """The lines of a failed torchrun's stderr that say why (every rank's), for assertion messages."""
    lines = result.stderr.splitlines()
    why = [line for line in lines if any(mark in line for mark in
                                         ("Error", "error:", "terminate", "what()", "Exception", "abort"))]
    return "\n".join(why[:40]) + "\n...\n" + "\n".join(lines[-15:])


def _run_or_fail(args: list[str]) -> None:
    """Run ``awe`` in-process for a fixture; a failure is a fixture error, not a test result."""
    rc = main([str(a) for a in args])
    if rc != 0:
        raise RuntimeError(f"fixture command failed with status {rc}: awe {' '.join(map(str, args))}")


@dataclass(frozen=True)
class FeatureTable:
    """An ``ark,scp`` pair of feature matrices."""

    ark: Path
    scp: Path

    @property
    def wspecifier(self) -> str:
        return f"ark,scp:{self.ark},{self.scp}"

    @property
    def rspecifier(self) -> str:
        """Random-access friendly spelling (``scp:``)."""
        return f"scp:{self.scp}"

    @property
    def ark_rspecifier(self) -> str:
        return f"ark:{self.ark}"


@pytest.fixture(scope="session")
def fsdd_dir(tmp_path_factory) -> Path:
    """Utterance-level FSDD data dir (wav.scp, text, utt2spk, spk2utt, words.ctm)."""
    out = tmp_path_factory.mktemp("fsdd") / "data"
    prepare_fsdd(FSDD_RECORDINGS, out)
    return out


@pytest.fixture(scope="session")
def fsdd_words(fsdd_dir, tmp_path_factory) -> Path:
    """Word-segment data dir: ``awe segment --ctm fsdd_dir/words.ctm fsdd_dir OUT``."""
    out = tmp_path_factory.mktemp("fsdd_words") / "words"
    _run_or_fail(["segment", "--ctm", fsdd_dir / "words.ctm", fsdd_dir, out])
    return out


@pytest.fixture(scope="session")
def fsdd_feats(fsdd_words, tmp_path_factory) -> FeatureTable:
    """39-d MFCC features (per-speaker CMVN) of every FSDD word segment, ``ark,scp``."""
    root = tmp_path_factory.mktemp("fsdd_feats")
    table = FeatureTable(root / "feats.ark", root / "feats.scp")
    _run_or_fail(["featurize", "--sample-rate", FSDD_RATE, fsdd_words, table.wspecifier])
    return table


@pytest.fixture
def run_awe(capsys):
    """``run_awe(args) -> (rc, stdout, stderr)``: ``awe`` in-process, output captured.

    Arguments are converted with ``str``; anything captured before the call is discarded.
    For binary stdout (``ark:-``) use :func:`awe_subprocess` instead.
    """

    def run(args) -> tuple[int, str, str]:
        capsys.readouterr()
        rc = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return rc, out, err

    return run
