"""bin/ helpers: recipe option parsing, scp and data-dir splitting, the local and Slurm job runners.

The Slurm tests run against a real single-node cluster (slurmctld + slurmd on localhost,
see ``slurm_fixture.py``).  Without Slurm they skip, except under CI (``CI`` set), where
they fail: CI must run them (``make test`` installs slurm-wlm when it can).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from awetools.io.datadir import DataDir, read_kaldi_table
from awetools.io.tables import read_matrices
from slurm_fixture import SlurmCluster, missing_slurm, start_slurm

BIN = Path(__file__).resolve().parents[1] / "bin"
# Jobs find `awe` (and this interpreter) first on PATH.
ENV = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


def sh(argv: list, cwd: Path, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    """Run a bin/ helper (or any command) with text output captured."""
    return subprocess.run([str(a) for a in argv], cwd=cwd, env=env or ENV,
                          capture_output=True, text=True, timeout=120, **kwargs)


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


# --- parse_options.sh -----------------------------------------------------------------------

RECIPE = """#!/usr/bin/env bash
set -euo pipefail
stage=0
stop_stage=100
nj=2
redo=false
help_message="Usage: run.sh [--stage N] [--stop-stage M] [--nj N] DIR"
. {bin}/parse_options.sh
echo "stage=$stage stop_stage=$stop_stage nj=$nj redo=$redo rest=$*"
"""


@pytest.fixture
def recipe(tmp_path) -> Path:
    script = tmp_path / "run.sh"
    script.write_text(RECIPE.format(bin=BIN))
    script.chmod(0o755)
    return script


def test_parse_options_sets_variables_and_leaves_arguments(recipe, tmp_path):
    result = sh([recipe, "--stage", "3", "--stop-stage=4", "--redo", "true", "data dir", "x"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "stage=3 stop_stage=4 nj=2 redo=true rest=data dir x\n"


def test_parse_options_config_file_then_command_line(recipe, tmp_path):
    (tmp_path / "opts.conf").write_text("nj=8\nstage=1\n")
    result = sh([recipe, "--config", "opts.conf", "--stage", "5"], tmp_path)
    assert result.stdout == "stage=5 stop_stage=100 nj=8 redo=false rest=\n"
    missing = sh([recipe, "--config", "nope.conf"], tmp_path)
    assert missing.returncode == 1
    assert "--config: no such file 'nope.conf'" in missing.stderr


@pytest.mark.parametrize("argv, message", [
    (["--stgae", "3"], "unknown option --stgae"),
    (["--stage"], "option --stage needs a value"),
    (["--redo", "yes"], "option --redo takes true or false, not 'yes'"),
])
def test_parse_options_rejects_bad_options(recipe, tmp_path, argv, message):
    result = sh([recipe, *argv], tmp_path)
    assert result.returncode == 1
    assert result.stderr == f"{recipe}: {message}\n"
    assert result.stdout == ""


def test_parse_options_help_prints_help_message(recipe, tmp_path):
    for argv in (["--help"], ["--stage", "2", "-h"]):
        result = sh([recipe, *argv], tmp_path)
        assert result.returncode == 0
        assert result.stdout == "Usage: run.sh [--stage N] [--stop-stage M] [--nj N] DIR\n"



@pytest.mark.parametrize("name", ["default", "fsdd", "own_corpus", "text_sanity"])
def test_shipped_recipes_run_from_any_directory(name, tmp_path):
    """`bash recipes/NAME/run.sh --help` from elsewhere: the recipe finds itself and its bin/."""
    script = BIN.parent / "recipes" / name / "run.sh"
    result = sh(["bash", script, "--help"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout and "--stage" in result.stdout

# --- split_scp.sh ---------------------------------------------------------------------------

def test_split_scp_equal_parts_in_order(tmp_path):
    scp = tmp_path / "feats.scp"
    scp.write_text("".join(f"utt{i:02d} a.ark:{i}\n" for i in range(10)))
    outs = [tmp_path / "split" / f"feats.{i}.scp" for i in (1, 2, 3)]
    result = sh([BIN / "split_scp.sh", scp, *outs], tmp_path)
    assert result.returncode == 0, result.stderr
    parts = [lines(out) for out in outs]
    assert [len(p) for p in parts] == [3, 4, 3]
    assert sum(parts, []) == lines(scp)


def test_split_scp_keeps_last_line_without_newline(tmp_path):
    scp = tmp_path / "in.scp"
    scp.write_text("a 1\nb 2\nc 3")
    assert sh([BIN / "split_scp.sh", scp, tmp_path / "1", tmp_path / "2"], tmp_path).returncode == 0
    assert lines(tmp_path / "1") + lines(tmp_path / "2") == ["a 1", "b 2", "c 3"]


def test_split_scp_utt2spk_keeps_speakers_together(tmp_path):
    # one large speaker and two small ones: every part still gets a speaker
    sizes = {"spkA": 100, "spkB": 1, "spkC": 2}
    keys = [f"{spk}-{i:03d}" for spk, n in sizes.items() for i in range(n)]
    (tmp_path / "in.scp").write_text("".join(f"{k} x\n" for k in keys))
    (tmp_path / "utt2spk").write_text("".join(f"{k} {k.split('-')[0]}\n" for k in keys))
    outs = [tmp_path / f"part{i}" for i in (1, 2, 3)]
    result = sh([BIN / "split_scp.sh", "--utt2spk", "utt2spk", "in.scp", *outs], tmp_path)
    assert result.returncode == 0, result.stderr
    parts = [lines(out) for out in outs]
    assert [{line.split("-")[0] for line in part} for part in parts] == [{"spkA"}, {"spkB"}, {"spkC"}]
    assert sum(parts, []) == lines(tmp_path / "in.scp")
    # six equal speakers in two parts: three each
    keys = [f"s{s}-{i}" for s in range(6) for i in range(5)]
    (tmp_path / "in.scp").write_text("".join(f"{k} x\n" for k in keys))
    (tmp_path / "utt2spk").write_text("".join(f"{k} {k.split('-')[0]}\n" for k in keys))
    sh([BIN / "split_scp.sh", "--utt2spk", "utt2spk", "in.scp", *outs[:2]], tmp_path)
    assert [len(lines(out)) for out in outs[:2]] == [15, 15]


def test_split_scp_errors(tmp_path):
    (tmp_path / "in.scp").write_text("a 1\nb 2\nc 3\n")
    result = sh([BIN / "split_scp.sh", "in.scp", "1", "2", "3", "4"], tmp_path)
    assert result.returncode == 1
    assert "split_scp.sh: in.scp has 3 lines, fewer than 4 parts" in result.stderr
    assert not (tmp_path / "1").exists()
    (tmp_path / "utt2spk").write_text("a s1\nc s2\n")
    result = sh([BIN / "split_scp.sh", "--utt2spk", "utt2spk", "in.scp", "1", "2"], tmp_path)
    assert result.returncode == 1
    assert "utt2spk: key b (in.scp line 2) has no speaker" in result.stderr
    result = sh([BIN / "split_scp.sh", "--utt2spk", "utt2spk", "in.scp", "1", "2", "3"], tmp_path)
    assert result.returncode == 1  # b has no speaker: reported before the speaker count


# --- split_data.sh --------------------------------------------------------------------------

@pytest.fixture
def words(fsdd_words, tmp_path) -> Path:
    """A private copy of the FSDD word-segment data dir (split_data.sh writes inside it)."""
    return Path(shutil.copytree(fsdd_words, tmp_path / "words"))


def test_split_data_parts_are_valid_data_dirs(words, tmp_path):
    result = sh([BIN / "split_data.sh", words, "4"], tmp_path)
    assert result.returncode == 0, result.stderr
    whole = DataDir.load(words)
    parts = [DataDir.load(words / "split4" / str(i)) for i in (1, 2, 3, 4)]
    speakers = [set(p.utt2spk.values()) for p in parts]
    assert sum(len(s) for s in speakers) == len(set().union(*speakers)) == 6  # no speaker split
    assert sorted(len(p.utt2spk) for p in parts) == [30, 30, 60, 60]  # 6 speakers x 30 keys
    for name in ("segments", "text", "utt2spk", "seg2utt", "seg2pos"):
        union: dict = {}
        for part in parts:
            assert set(getattr(part, name)) == set(part.utt2spk)
            union.update(getattr(part, name))
        assert union == getattr(whole, name), name
    for part in parts:  # each part keeps only the recordings its segments use
        assert set(part.wav_scp) == {s.recording for s in part.segments.values()}
        assert read_kaldi_table(part.path / "spk2utt") == {
            spk: " ".join(sorted(k for k, s in part.utt2spk.items() if s == spk))
            for spk in set(part.utt2spk.values())}


def test_split_data_reuses_an_up_to_date_split(words, tmp_path):
    assert sh([BIN / "split_data.sh", words, "2"], tmp_path).returncode == 0
    done = words / "split2" / ".done"
    first = done.stat().st_mtime_ns
    time.sleep(0.05)
    assert sh([BIN / "split_data.sh", words, "2"], tmp_path).returncode == 0
    assert done.stat().st_mtime_ns == first  # reused
    (words / "text").write_text((words / "text").read_text().replace(" zero", " nought"))
    assert sh([BIN / "split_data.sh", words, "2"], tmp_path).returncode == 0
    assert done.stat().st_mtime_ns > first  # rebuilt: text changed
    texts = {**DataDir.load(words / "split2" / "1").text, **DataDir.load(words / "split2" / "2").text}
    assert "nought" in texts.values() and "zero" not in texts.values()


def test_split_data_errors(words, tmp_path):
    result = sh([BIN / "split_data.sh", words, "7"], tmp_path)
    assert result.returncode == 1
    assert f"'{words}' has 6 speakers, fewer than 7 parts" in result.stderr
    assert sh([BIN / "split_data.sh", words, "0"], tmp_path).returncode == 2
    (words / "utt2spk").unlink()
    result = sh([BIN / "split_data.sh", words, "2"], tmp_path)
    assert result.returncode == 1 and "has no utt2spk" in result.stderr


# --- run_local.sh ---------------------------------------------------------------------------

def intervals(logs: list[Path]) -> list[tuple[float, float]]:
    """(start, end) times that jobs printed as 'start T' / 'end T' lines."""
    spans = []
    for log in logs:
        times = dict(line.split() for line in lines(log) if re.match(r"^(start|end) ", line))
        spans.append((float(times["start"]), float(times["end"])))
    return spans


def most_at_once(spans: list[tuple[float, float]]) -> int:
    return max(sum(s <= t < e for s, e in spans) for t, _ in spans)


def test_run_local_substitutes_job_and_logs_each_job(tmp_path):
    result = sh([BIN / "run_local.sh", "JOB=1:3", "log/echo.JOB.log",
                 "echo", "job JOB of 3", "|", "tr", "a-z", "A-Z", ">", "out.JOB"], tmp_path)
    assert result.returncode == 0, result.stderr
    for job in (1, 2, 3):
        assert (tmp_path / f"out.{job}").read_text() == f"JOB {job} OF 3\n"
        log = lines(tmp_path / f"log/echo.{job}.log")
        assert log[0] == f"# echo 'job {job} of 3' | tr a-z A-Z > out.{job}"
        assert log[-1].startswith("# Ended (code 0)")


def test_run_local_max_jobs_run(tmp_path):
    job = 'echo start $(date +%s.%N); sleep 0.6; echo end $(date +%s.%N)'
    logs = [tmp_path / f"t.{i}.log" for i in (1, 2, 3, 4, 5)]
    assert sh([BIN / "run_local.sh", "--max-jobs-run", "2", "JOB=1:5", "t.JOB.log", job], tmp_path).returncode == 0
    assert most_at_once(intervals(logs)) == 2
    assert sh([BIN / "run_local.sh", "--mem", "4G", "JOB=1:5", "t.JOB.log", job], tmp_path).returncode == 0
    assert most_at_once(intervals(logs)) == 5


def test_run_local_failing_job_is_named_with_its_log(tmp_path):
    result = sh([BIN / "run_local.sh", "JOB=1:3", "exp/log/x.JOB.log",
                 "echo output of JOB; [ JOB != 2 ] || exit 3"], tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"{BIN}/run_local.sh: job 2 failed with exit code 3; see exp/log/x.2.log",
        f"{BIN}/run_local.sh: 1 of 3 jobs failed"]
    log = lines(tmp_path / "exp/log/x.2.log")
    assert log[0] == "# echo output of 2; [ 2 != 2 ] || exit 3"
    assert "output of 2" in log and log[-1].startswith("# Ended (code 3)")
    # a pipe fails when any part of it fails
    result = sh([BIN / "run_local.sh", "p.log", "false | cat"], tmp_path)
    assert result.returncode == 1 and "job 1 failed with exit code 1; see p.log" in result.stderr


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie left for a non-reaping init counts as ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_run_local_ctrl_c_kills_the_running_jobs(tmp_path):
    runner = subprocess.Popen([BIN / "run_local.sh", "JOB=1:2", "log/s.JOB.log", "echo $$ > pid.JOB; exec sleep 300"],
                              cwd=tmp_path, env=ENV, stderr=subprocess.PIPE, text=True, start_new_session=True)
    pid_files = [tmp_path / "pid.1", tmp_path / "pid.2"]
    deadline = time.monotonic() + 20
    while not all(f.exists() and f.read_text().strip() for f in pid_files) and time.monotonic() < deadline:
        time.sleep(0.05)
    pids = [int(f.read_text()) for f in pid_files]
    assert all(alive(pid) for pid in pids)
    os.killpg(runner.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C
    assert runner.wait(timeout=20) == 130
    assert runner.stderr.read() == f"{BIN}/run_local.sh: interrupted; the running jobs were killed\n"
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(pid) for pid in pids)


def test_run_local_waits_through_a_suspended_job(tmp_path):
    """SIGSTOP then SIGCONT on a running job (a suspend by the scheduler): the runner waits
    for the job to finish instead of reporting it failed."""
    runner = subprocess.Popen([BIN / "run_local.sh", "JOB=1:2", "log/s.JOB.log",
                               "echo $$ > pid.JOB; sleep 1.5; echo done JOB"],
                              cwd=tmp_path, env=ENV, stderr=subprocess.PIPE, text=True, start_new_session=True)
    pid_file = tmp_path / "pid.1"
    deadline = time.monotonic() + 20
    while not (pid_file.exists() and pid_file.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    group = os.getpgid(int(pid_file.read_text()))
    os.killpg(group, signal.SIGSTOP)
    time.sleep(2.5)  # job 2 ends meanwhile; job 1 is stopped
    assert runner.poll() is None
    os.killpg(group, signal.SIGCONT)
    assert runner.wait(timeout=20) == 0, runner.stderr.read()
    for job in (1, 2):
        log = lines(tmp_path / f"log/s.{job}.log")
        assert f"done {job}" in log and log[-1].startswith("# Ended (code 0)")


def test_run_local_usage_errors(tmp_path):
    result = sh([BIN / "run_local.sh", "JOB=1:2", "one.log", "true"], tmp_path)
    assert result.returncode == 2 and "has no JOB: one log per job" in result.stderr
    assert sh([BIN / "run_local.sh", "JOB=1:2"], tmp_path).returncode == 2
    help_ = sh([BIN / "run_local.sh", "--help"], tmp_path)
    assert help_.returncode == 0 and help_.stdout.startswith("run_local.sh: run a command as N parallel jobs")


# --- run_slurm.sh against a real single-node Slurm ------------------------------------------

@pytest.fixture(scope="session")
def slurm(tmp_path_factory) -> SlurmCluster:
    reason = missing_slurm()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the Slurm runner tests, but {reason}", pytrace=False)
        pytest.skip(reason)
    cluster = start_slurm(tmp_path_factory.mktemp("slurm"))
    yield cluster
    cluster.stop()


def slurm_env(cluster: SlurmCluster) -> dict:
    return {**cluster.env, "PATH": ENV["PATH"]}


def test_run_slurm_array_succeeds_with_one_log_per_task(slurm, tmp_path):
    result = sh([BIN / "run_slurm.sh", "--mem", "100M", "JOB=1:3", "exp/log/hello.JOB.log",
                 "echo", "task JOB says 'hi'", ">", "out.JOB"], tmp_path, env=slurm_env(slurm))
    assert result.returncode == 0, result.stderr
    for task in (1, 2, 3):
        assert (tmp_path / f"out.{task}").read_text() == f"task {task} says 'hi'\n"
        log = lines(tmp_path / f"exp/log/hello.{task}.log")
        assert log[0] == f"# echo 'task {task} says '\\''hi'\\''' > out.{task}"
        assert re.match(rf"# Started at .* \(slurm job \d+_{task}\)$", log[1])
        assert log[-1].startswith("# Ended (code 0)")
    script = (tmp_path / "exp/log/q/hello.sh").read_text()
    assert "#SBATCH --array=1-3\n" in script and "#SBATCH --job-name=hello\n" in script


def test_run_slurm_failed_and_killed_tasks_are_named(slurm, tmp_path):
    # task 2 exits 3; task 3 kills its batch script, so it never reports a status
    command = "echo output of JOB; [ JOB = 2 ] && exit 3; [ JOB = 3 ] && kill -9 $PPID; true"
    result = sh([BIN / "run_slurm.sh", "JOB=1:3", "log/t.JOB.log", command], tmp_path, env=slurm_env(slurm))
    assert result.returncode == 1
    run_slurm = f"{BIN}/run_slurm.sh"
    assert result.stderr.splitlines() == [
        f"{run_slurm}: task 2 failed with exit code 3; see log/t.2.log",
        f"{run_slurm}: task 3 did not finish (killed, timed out or never ran); "
        "see log/t.3.log and log/q/t.3.out",
        f"{run_slurm}: 2 of 3 tasks failed (slurm job {(tmp_path / 'log/q/t.jobid').read_text().strip()})"]
    log = lines(tmp_path / "log/t.2.log")
    assert log[0] == "# echo output of 2; [ 2 = 2 ] && exit 3; [ 2 = 3 ] && kill -9 $PPID; true"
    assert "output of 2" in log and log[-1].startswith("# Ended (code 3)")
    assert lines(tmp_path / "log/t.1.log")[-1].startswith("# Ended (code 0)")


def test_run_slurm_sigterm_cancels_the_array(slurm, tmp_path):
    env = slurm_env(slurm)
    runner = subprocess.Popen([BIN / "run_slurm.sh", "JOB=1:2", "log/s.JOB.log", "sleep 300"],
                              cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    jobid_file = tmp_path / "log/q/s.jobid"
    deadline = time.monotonic() + 20
    while not (jobid_file.exists() and jobid_file.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.1)
    jobid = jobid_file.read_text().strip()
    runner.send_signal(signal.SIGTERM)
    assert runner.wait(timeout=20) == 130
    assert f"interrupted; cancelled slurm job {jobid}" in runner.stderr.read()
    queue = sh(["squeue", "-h", "-j", jobid, "-t", "PD,R", "-o", "%i"], tmp_path, env=env)
    assert queue.stdout.strip() == ""


def test_run_slurm_bad_usage(slurm, tmp_path):
    env = slurm_env(slurm)
    result = sh([BIN / "run_slurm.sh", "--memory", "4G", "log", "true"], tmp_path, env=env)
    assert result.returncode == 2 and "unknown option --memory" in result.stderr
    result = sh([BIN / "run_slurm.sh", "--partition", "nope", "log/x.log", "true"], tmp_path, env=env)
    assert result.returncode == 1
    assert "sbatch failed" in result.stderr and "log/q/x.sbatch.log" in result.stderr


# --- make_feats.sh: featurize FSDD in 2 jobs, locally and on Slurm ---------------------------

@pytest.mark.parametrize("runner", ["run_local.sh", "run_slurm.sh"])
def test_make_feats_split_jobs_match_one_job(runner, request, words, fsdd_feats, tmp_path):
    env = slurm_env(request.getfixturevalue("slurm")) if runner == "run_slurm.sh" else ENV
    (tmp_path / "mfcc.conf").write_text("--sample-rate 8000\n")
    result = sh([BIN / "make_feats.sh", "--cmd", BIN / runner, "--nj", "2", "--feat-config", "mfcc.conf",
                 words, "exp/log", tmp_path / "exp/feats", "words"], tmp_path, env=env)
    assert result.returncode == 0, result.stderr + (tmp_path / "exp/log/featurize.words.1.log").read_text()
    for job in (1, 2):  # one ark per job, each with its part's keys
        keys, _ = read_matrices(f"scp:{tmp_path}/exp/feats/words.{job}.scp")
        assert set(keys) == set(DataDir.load(words / f"split2/{job}").utt2spk)
    scp = lines(tmp_path / "exp/feats/words.scp")
    assert [line.split()[0] for line in scp] == sorted(DataDir.load(words).utt2spk)  # merged, C-sorted
    split = dict(zip(*read_matrices(f"scp:{tmp_path}/exp/feats/words.scp")))
    keys, mats = read_matrices(fsdd_feats.rspecifier)
    assert sorted(split) == sorted(keys) and len(keys) == 180
    for key, mat in zip(keys, mats):
        np.testing.assert_array_equal(split[key], mat, err_msg=key)


def test_make_feats_more_jobs_than_speakers_and_errors(words, tmp_path):
    (tmp_path / "mfcc.conf").write_text("--sample-rate 8000\n")
    result = sh([BIN / "make_feats.sh", "--nj", "9", "--feat-config", "mfcc.conf", words, "log",
                 tmp_path / "feats", "all"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "feats").glob("all.*.scp")) == [
        f"all.{job}.scp" for job in range(1, 7)]  # 6 speakers: 6 jobs
    assert len(lines(tmp_path / "feats/all.scp")) == 180
    for argv, status, message in [
        (["--nj", "0", words, "log", "feats", "x"], 2, "--nj must be a positive integer, got '0'"),
        ([words, "log", "feats"], 2, "usage:"),
        ([tmp_path / "nope", "log", "feats", "x"], 1, f"'{tmp_path / 'nope'}' is not a data dir"),
        (["--feat-config", "missing.conf", words, "log", "feats", "x"], 1, "no such file 'missing.conf'"),
    ]:
        result = sh([BIN / "make_feats.sh", *argv], tmp_path)
        assert (result.returncode, message in result.stderr) == (status, True), result.stderr
    (words / "wav.scp").write_text("broken\n")  # a failing job: no merged scp
    result = sh([BIN / "make_feats.sh", "--nj", "2", words, "log", "feats", "bad"], tmp_path)
    assert result.returncode == 1 and "featurize.bad." in result.stderr
    assert not (tmp_path / "feats/bad.scp").exists()


# --- stages.sh ---------------------------------------------------------------------------

STAGED = """#!/usr/bin/env bash
set -euo pipefail
stage=0
stop_stage=100
redo=false
exp={exp}
. {bin}/parse_options.sh
. {bin}/stages.sh
two_steps() {{ false; echo "after the failure" > {exp}/ran_on; }}
run_stage 0 first bash -c 'echo first > {exp}/first.txt'
run_stage 1 second ${{SECOND:-true}}
run_stage 2 third bash -c 'echo third > {exp}/third.txt'
"""


@pytest.fixture
def staged(tmp_path) -> Path:
    script = tmp_path / "run.sh"
    script.write_text(STAGED.format(bin=BIN, exp=tmp_path / "exp"))
    return script


def test_stages_mark_done_skip_with_message_and_redo(staged, tmp_path):
    first = sh(["bash", staged], cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert sorted(p.name for p in (tmp_path / "exp/.done").iterdir()) == ["0.first", "1.second", "2.third"]
    assert (tmp_path / "exp/log/stage0.first.log").read_text().splitlines() == [
        "# bash -c echo first > %s" % (tmp_path / "exp/first.txt")]
    again = sh(["bash", staged, "--stage", "1"], cwd=tmp_path)
    assert again.returncode == 0
    assert "stage 1 (second): done at" in again.stderr and "skipping (--redo true" in again.stderr
    redo = sh(["bash", staged, "--stage", "2", "--redo", "true"], cwd=tmp_path)
    assert "stage 2 (third): running again (--redo true)" in redo.stderr
    times = [line.split() for line in lines(tmp_path / "exp/stage_times.txt")]
    assert [t[:2] for t in times] == [["0", "first"], ["1", "second"], ["2", "third"], ["2", "third"]]


def test_stage_function_stops_at_its_first_failing_command(staged, tmp_path):
    result = sh(["bash", staged], cwd=tmp_path, env={**ENV, "SECOND": "two_steps"})
    assert result.returncode == 1
    log = tmp_path / "exp/log/stage1.second.log"
    assert f"== stage 1 (second) FAILED (exit 1); see {log}" in result.stderr
    assert not (tmp_path / "exp/ran_on").exists()          # nothing after the failing command
    assert not (tmp_path / "exp/third.txt").exists()       # the recipe stopped
    assert sorted(p.name for p in (tmp_path / "exp/.done").iterdir()) == ["0.first"]


def test_stage_interrupted_is_not_marked_done(staged, tmp_path):
    proc = subprocess.Popen(["bash", str(staged)], cwd=tmp_path, env={**ENV, "SECOND": "sleep 30"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    log = tmp_path / "exp/log/stage1.second.log"
    deadline = time.time() + 30
    while not log.exists() and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGINT)
    proc.wait(timeout=30)
    assert proc.returncode != 0
    assert not (tmp_path / "exp/.done/1.second").exists() and not (tmp_path / "exp/third.txt").exists()
