"""Every subcommand and every recipe helper in bin/ has --help with an example and a man page."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from awetools.cli.commands import COMMANDS
from conftest import awe_subprocess

ROOT = Path(__file__).resolve().parents[1]
# sourced by other helpers, not run by users: documented in their callers' pages
INTERNAL = {"job_args.sh", "path.sh"}
HELPERS = sorted(p.name for p in (ROOT / "bin").glob("*.sh") if p.name not in INTERNAL)


# `awe plot` is a group: its pictures have the help, the group has the man page
LEAVES = sorted(set(COMMANDS) - {"plot"}) + ["plot map", "plot curves"]


@pytest.mark.parametrize("command", LEAVES)
def test_subcommand_help_has_an_example_and_a_man_page(command):
    result = awe_subprocess([*command.split(), "--help"], text=True)
    assert result.returncode == 0, result.stderr
    assert "Example" in result.stdout and f"awe {command}" in result.stdout
    page = "awe-plot" if command.startswith("plot") else f"awe-{command.replace(' ', '-')}"
    assert (ROOT / "man" / f"{page}.1").is_file()


@pytest.mark.parametrize("helper", HELPERS)
def test_bin_helper_help_and_man_page(helper):
    result = subprocess.run(["bash", str(ROOT / "bin" / helper), "--help"], capture_output=True,
                            text=True, env={**os.environ, "PATH": os.environ["PATH"]}, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout or "usage" in result.stdout.lower()
    assert (ROOT / "man" / f"{helper}.1").is_file()


def test_man_awe_lists_every_subcommand():
    page = (ROOT / "man" / "awe.1").read_text()
    for command in COMMANDS:
        assert command.split()[-1] in page.replace(r"\-", "-"), command


def test_version():
    from awetools import __version__
    result = awe_subprocess(["--version"], text=True)
    assert result.returncode == 0 and result.stdout.strip() == f"awe (awetools) {__version__}"
