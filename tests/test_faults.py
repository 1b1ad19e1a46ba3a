"""Faults of an HPC node: a worker killed (SIGKILL), a full disk, a read-only output dir.

Each fault must end the tool within seconds with a one-line error and exit status 1,
leaving the previous output (or none) in place.  Workers are killed for real: once from
outside with ``kill -9`` (as the OOM killer does), and at a known job with the
``AWE_TEST_KILL_JOB`` hook of :mod:`awetools.workers`.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from awetools.io.tables import write_vectors
from awetools.workers import KILL_ENV, how_it_ended, worker_pool
from conftest import FSDD_RATE, awe_command
from test_augment import small_dir  # noqa: F401  (fixture)
from test_embed import model_dir  # noqa: F401  (fixture)
from test_featurize import many_recordings  # noqa: F401  (fixture)

OLD = b"an older archive"
TEXT = "".join(f"{s}\n\n" for s in (
    "Nobody expected the quiet river to rise so quickly after the storm!",
    "Could the old bridge survive another winter of heavy snow and ice?",
    "Farmers planted wheat and barley in the fields near the small town.",
    "The committee met in March, and it approved three new rules."))


def one_error_line(stderr: bytes, command: str) -> str:
    """The error line that ends a failed ``awe COMMAND``'s stderr (log lines may precede it;
    no traceback, no "Exception ignored" from a destructor)."""
    text = stderr.decode()
    assert "Traceback" not in text and "Exception ignored" not in text, text
    last = text.strip().splitlines()[-1]
    assert last.startswith(f"awe {command}: error: ") and text.count(": error: ") == 1, text
    return last


def children(pid: int) -> list[int]:
    """Worker processes of ``pid`` (its children, less multiprocessing's resource tracker)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    pids = [int(p) for p in path.read_text().split()] if path.exists() else []
    return [p for p in pids
            if b"resource_tracker" not in Path(f"/proc/{p}/cmdline").read_bytes()]


def featurize_command(data: Path, out: Path) -> list[str]:
    return [*awe_command(), "featurize", "--nj", "2", "--sample-rate", str(FSDD_RATE), str(data),
            f"ark,scp:{out / 'feats.ark'},{out / 'feats.scp'}"]


def old_output(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    (out / "feats.ark").write_bytes(OLD)
    return out


def test_how_it_ended():
    assert how_it_ended(-signal.SIGKILL) == "was killed by SIGKILL"
    assert how_it_ended(-signal.SIGSEGV) == "was killed by SIGSEGV"
    assert how_it_ended(3) == "exited with status 3"


def _square(x: int) -> int:
    return x * x


def _slow_square(x: int) -> int:
    time.sleep(0.01 * (x % 3))
    return x * x


def test_pool_keeps_order_and_bounds_jobs_in_flight():
    with worker_pool(2) as pool:
        assert list(pool.results(_slow_square, range(20), str, window=3)) == [x * x for x in range(20)]
        assert sorted(pool.results(_square, range(9), str, ordered=False)) == [x * x for x in range(9)]


def test_external_kill_of_a_featurize_worker(many_recordings, tmp_path):  # noqa: F811
    """``kill -9`` of one worker mid-way: exit 1 within seconds, one line, old output kept."""
    out = old_output(tmp_path)
    proc = subprocess.Popen(featurize_command(many_recordings, out), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while time.monotonic() < deadline and proc.poll() is None and not workers:
        temporary = [p for p in out.iterdir() if p.name.startswith(".feats.ark.")]
        if temporary and temporary[0].stat().st_size > 0:  # results are being written
            workers = children(proc.pid)
        time.sleep(0.01)
    assert workers and proc.poll() is None, "featurize finished before a worker could be killed"
    os.kill(workers[0], signal.SIGKILL)
    killed = time.monotonic()
    _, stderr = proc.communicate(timeout=60)
    assert time.monotonic() - killed < 5
    assert proc.returncode == 1
    line = one_error_line(stderr, "featurize")
    # the job is named when the worker had one (it may be between two speakers' jobs)
    assert f"a worker process (pid {workers[0]}) was killed by SIGKILL" in line
    assert "while running" not in line or "while running speaker '" in line
    assert os.listdir(out) == ["feats.ark"] and (out / "feats.ark").read_bytes() == OLD
    assert all(not Path(f"/proc/{pid}").exists() for pid in workers)  # the other one ended too


def _killed_at_job(command: list[str], job: int) -> tuple[int, bytes]:
    env = {**os.environ, KILL_ENV: str(job), "AWE_NO_PROGRESS": "1"}
    proc = subprocess.run(command, capture_output=True, env=env, timeout=120)
    return proc.returncode, proc.stderr


def test_featurize_worker_killed_at_job_2(many_recordings, tmp_path):  # noqa: F811
    out = old_output(tmp_path)
    rc, stderr = _killed_at_job(featurize_command(many_recordings, out), 2)
    line = one_error_line(stderr, "featurize")
    assert rc == 1 and "was killed by SIGKILL while running speaker 'george02' (30 segments)" in line
    assert os.listdir(out) == ["feats.ark"]


def test_embed_worker_killed(fsdd_feats, model_dir, tmp_path):  # noqa: F811
    out = tmp_path / "emb.h5"
    out.write_bytes(OLD)
    rc, stderr = _killed_at_job([*awe_command(), "embed", "--nj", "2", str(model_dir),
                                 fsdd_feats.rspecifier, f"h5:{out}"], 0)
    line = one_error_line(stderr, "embed")
    keys = [line.split()[0] for line in fsdd_feats.scp.read_text().splitlines()]
    first, last = keys[0], keys[-1]
    assert rc == 1 and f"SIGKILL while running segments '{first}' .. '{last}'" in line
    assert os.listdir(tmp_path) == ["emb.h5"] and out.read_bytes() == OLD


def test_synth_worker_killed(tmp_path):
    text = tmp_path / "en.txt"
    text.write_text(TEXT, encoding="utf-8")
    rc, stderr = _killed_at_job([*awe_command(), "synth", "--nj", "2", "--languages", "de",
                                 "--num-words", "3", "--running-words", "12", "--text",
                                 str(text), str(tmp_path / "c")], 0)
    line = one_error_line(stderr, "synth")
    assert rc == 1 and "was killed by SIGKILL while running a synthesis job of speaker '" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["en.txt"]


# ---- full disk and read-only outputs -----------------------------------------------------

@pytest.fixture
def tiny_fs(tmp_path):
    """A 64 KiB tmpfs (needs root); yields its mount point, unmounted afterwards."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tiny tmpfs needs root")
    mount = tmp_path / "mnt"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                      capture_output=True).returncode:
        pytest.skip("this container may not mount a tmpfs")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


def _read_only(mount: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)


def test_featurize_into_a_full_disk(fsdd_words, tiny_fs):
    (tiny_fs / "feats.ark").write_bytes(OLD)
    proc = subprocess.run([*awe_command(), "featurize", "--sample-rate", str(FSDD_RATE),
                           str(fsdd_words), f"ark:{tiny_fs / 'feats.ark'}"], capture_output=True)
    line = one_error_line(proc.stderr, "featurize")
    assert proc.returncode == 1
    assert line.endswith(f"{tiny_fs / 'feats.ark'}: cannot write (No space left on device); "
                         "the previous output is unchanged")
    assert os.listdir(tiny_fs) == ["feats.ark"] and (tiny_fs / "feats.ark").read_bytes() == OLD


def test_embed_into_a_full_disk_and_read_only_dir(fsdd_feats, model_dir, tiny_fs):  # noqa: F811
    out = tiny_fs / "emb.ark"
    write_vectors(f"ark:{out}", ["a"], np.ones((1, 3), np.float32))
    before = out.read_bytes()
    command = [*awe_command(), "embed", str(model_dir), fsdd_feats.rspecifier, f"ark:{out}"]
    filler = tiny_fs / "filler"
    filler.write_bytes(b"x" * (60 * 1024))  # leave 4 KiB: 180 6-d vectors need about 6 KiB
    proc = subprocess.run(command, capture_output=True)
    assert proc.returncode == 1 and one_error_line(proc.stderr, "embed").endswith(
        f"{out}: cannot write (No space left on device); the previous output is unchanged")
    assert sorted(os.listdir(tiny_fs)) == ["emb.ark", "filler"] and out.read_bytes() == before
    filler.unlink()
    _read_only(tiny_fs)
    proc = subprocess.run(command, capture_output=True)
    assert proc.returncode == 1
    assert one_error_line(proc.stderr, "embed").endswith(f"{tiny_fs}: output directory is not writable")
    assert os.listdir(tiny_fs) == ["emb.ark"] and out.read_bytes() == before


def test_model_dir_on_a_full_disk(fsdd_feats, fsdd_words, tiny_fs):
    data = f"{fsdd_words}={fsdd_feats.rspecifier}"
    command = [*awe_command(), "train-phonetic", "--train", data, "--valid", data, "--epochs", "1",
               "--layers", "1", "--hidden", "16", "--embed-dim", "8", "--num-threads", "1",
               str(tiny_fs / "model")]
    proc = subprocess.run(command, capture_output=True)
    assert proc.returncode == 1, proc.stderr.decode()
    line = one_error_line(proc.stderr, "train-phonetic")
    assert f"{tiny_fs}/" in line and "cannot write (No space left on device)" in line
    assert not (tiny_fs / "model").exists()


def test_augment_into_a_full_disk(small_dir, tiny_fs):  # noqa: F811
    """Audio written by --nj workers (libsndfile alone says only "System error")."""
    out = tiny_fs / "augmented"
    proc = subprocess.run([*awe_command(), "augment", "--nj", "2", "--perturb", "noise", "--keep-clean",
                           str(small_dir), str(out)], capture_output=True)
    assert proc.returncode == 1
    line = one_error_line(proc.stderr, "augment")
    assert f"{out}/wav/" in line and line.endswith(".wav: cannot write (No space left on device); "
                                                    "the previous output is unchanged")
    assert os.listdir(tiny_fs) == []


def test_an_os_error_no_tool_caught_is_one_line(run_awe, monkeypatch, tmp_path):
    """A failing disk met where no reader expected it: one line, status 1; --debug adds
    the traceback."""
    import awetools.cli.embed

    def failing_read(*args):
        raise OSError(errno.EIO, "Input/output error", str(tmp_path / "feats.ark"))
    monkeypatch.setattr(awetools.cli.embed, "downsample_table", failing_read)
    args = ["embed", "--downsample", "10", f"ark:{tmp_path / 'feats.ark'}", f"h5:{tmp_path / 'e.h5'}"]
    rc, _, err = run_awe(args)
    assert rc == 1 and err == (f"awe embed: error: [Errno 5] Input/output error: "
                               f"'{tmp_path / 'feats.ark'}'\n")
    rc, _, err = run_awe(["--debug", *args])
    assert rc == 1 and "Traceback" in err and err.endswith("Input/output error: "
                                                           f"'{tmp_path / 'feats.ark'}'\n")


# ---- kill -9 of training, then --resume --------------------------------------------------

def _train_until_killed(command: list[str], log: Path, epochs_done: int) -> None:
    """Start ``command``, SIGKILL it once ``log`` has ``epochs_done`` lines (mid-run)."""
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if log.exists() and len(log.read_text().splitlines()) >= epochs_done:
            break
        time.sleep(0.005)
    assert proc.poll() is None, "training finished before it could be killed"
    proc.kill()
    proc.wait()


def _weights(model: Path) -> dict:
    import torch

    return torch.load(model / "model.pt", weights_only=True)


def test_train_phonetic_killed_then_resumed_equals_uninterrupted(fsdd_feats, fsdd_words, tmp_path):
    import json

    import torch

    data = f"{fsdd_words}={fsdd_feats.rspecifier}"
    base = [*awe_command(), "train-phonetic", "--train", data, "--valid", data, "--epochs", "4",
            "--layers", "1", "--hidden", "32", "--embed-dim", "8", "--num-threads", "1",
            "--dropout", "0", "--seed", "3"]
    whole = subprocess.run([*base, str(tmp_path / "whole")], capture_output=True)
    assert whole.returncode == 0, whole.stderr.decode()
    _train_until_killed([*base, str(tmp_path / "cut")], tmp_path / "cut.partial" / "log.jsonl", 2)
    assert not (tmp_path / "cut").exists()
    again = subprocess.run([*base, "--resume", str(tmp_path / "cut")], capture_output=True)
    assert again.returncode == 0, again.stderr.decode()
    assert b"resuming after epoch" in again.stderr
    configs = [json.loads((tmp_path / name / "config.json").read_text()) for name in ("whole", "cut")]
    assert configs[0]["result"]["best_epoch"] == configs[1]["result"]["best_epoch"]
    logs = [[json.loads(line) for line in (tmp_path / name / "log.jsonl").read_text().splitlines()]
            for name in ("whole", "cut")]
    assert [(e["epoch"], e["loss"], e["valid_ap"]) for e in logs[0]] == \
        [(e["epoch"], e["loss"], e["valid_ap"]) for e in logs[1]]
    first, second = _weights(tmp_path / "whole"), _weights(tmp_path / "cut")
    assert first.keys() == second.keys()
    assert all(torch.equal(first[k], second[k]) for k in first)


# ---- recipe stage markers ------------------------------------------------------------------

STAGES = Path(__file__).resolve().parents[1] / "bin" / "stages.sh"


def _recipe(tmp_path: Path) -> subprocess.Popen:
    """A recipe whose stage 1 runs a long command (its pid is written to ``pid``)."""
    script = (f"set -e; exp={tmp_path}/exp; . {STAGES}; "
              f"run_stage 1 slow bash -c 'echo $$ > {tmp_path}/pid; exec sleep 60'")
    return subprocess.Popen(["bash", "-c", script], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)


def _stage_pid(tmp_path: Path) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        text = (tmp_path / "pid").read_text().strip() if (tmp_path / "pid").exists() else ""
        if text:
            return int(text)
        time.sleep(0.01)
    raise AssertionError("the stage did not start")


def test_killed_stage_command_writes_no_marker(tmp_path):
    proc = _recipe(tmp_path)
    os.kill(_stage_pid(tmp_path), signal.SIGKILL)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 1 and b"stage 1 (slow) FAILED (exit 137)" in stderr
    assert not (tmp_path / "exp" / ".done" / "1.slow").exists()


def test_killed_recipe_writes_no_marker(tmp_path):
    proc = _recipe(tmp_path)
    _stage_pid(tmp_path)
    os.killpg(proc.pid, signal.SIGKILL)  # the whole job: recipe shell, tee and the stage
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert not (tmp_path / "exp" / ".done" / "1.slow").exists()


def test_train_skipgram_killed_then_resumed_equals_uninterrupted(tmp_path):
    """``kill -9`` of train-skipgram (cluster-skipgram) after epoch 2 of 6, then --resume."""
    import torch

    from test_semantic import FAST, corpus as make_corpus  # noqa: F401

    root = make_corpus.__wrapped__(_Factory(tmp_path))  # the fixture's body: a fresh corpus
    subprocess.run([*awe_command(), "cluster", "-k", "8", f"ark:{root / 'emb.ark'}",
                    str(root / "clusters")], check=True, capture_output=True)
    base = [*awe_command(), "train-skipgram", "--method", "cluster-skipgram", "--embeddings",
            f"ark:{root / 'emb.ark'}", "--clusters", str(root / "clusters"), *FAST, "--epochs", "6", "--seed", "3",
            str(root / "words")]
    assert subprocess.run([*base, str(tmp_path / "whole")], capture_output=True).returncode == 0
    _train_until_killed([*base, str(tmp_path / "cut")], tmp_path / "cut.partial" / "log.jsonl", 2)
    again = subprocess.run([*base, "--resume", str(tmp_path / "cut")], capture_output=True)
    assert again.returncode == 0, again.stderr.decode()
    first, second = (torch.load(tmp_path / n / "model.pt", weights_only=True) for n in ("whole", "cut"))
    assert first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first)


class _Factory:
    """Enough of pytest's ``tmp_path_factory`` for a module fixture's body."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def mktemp(self, name: str) -> Path:
        path = self.root / name
        path.mkdir()
        return path
