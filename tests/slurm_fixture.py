"""A real single-node Slurm cluster on localhost, for testing ``bin/run_slurm.sh``.

:func:`start_slurm` writes a minimal ``slurm.conf`` into a scratch directory (free TCP
ports, state and spool dirs, logs, pid files all inside it), starts ``munged`` (own key
and socket; Slurm's ``auth/none`` when munge is not installed), ``slurmctld`` and
``slurmd`` as child processes in the foreground (``-D``), and waits until the node is
idle.  :meth:`SlurmCluster.stop` cancels what is left and ends the daemons it started.
Commands reach the cluster through ``SlurmCluster.env`` (it sets ``SLURM_CONF``).

Needs root (slurmd runs jobs as their user) and Debian's ``slurm-wlm`` (with ``munge``).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

# Daemons live in sbin, which a user's PATH may lack.
SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin", "/sbin"])
SLURM_PROGRAMS = ("slurmctld", "slurmd", "sbatch", "sinfo", "squeue", "scancel")


def which(program: str) -> str | None:
    return shutil.which(program, path=SEARCH_PATH)


def missing_slurm() -> str | None:
    """Why a cluster cannot be started here, or None when it can."""
    missing = [p for p in SLURM_PROGRAMS if which(p) is None]
    if missing:
        return f"Slurm programs not found: {', '.join(missing)} (apt-get install slurm-wlm)"
    if os.geteuid() != 0:
        return "a test Slurm cluster needs root (slurmd starts jobs as their user)"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _memory_mib() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20


@dataclass
class SlurmCluster:
    """A running test cluster: its scratch dir, config and the daemons this process started."""

    root: Path
    conf: Path
    env: dict[str, str]
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def log_tails(self, lines: int = 15) -> str:
        """The end of every daemon log, for error messages."""
        parts = []
        for log in sorted(self.root.glob("*.log")):
            tail = log.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {log}\n" + "\n".join(tail))
        return "\n".join(parts)

    def node_state(self) -> str:
        result = subprocess.run([which("sinfo"), "-h", "-N", "-o", "%T"], env=self.env,
                                capture_output=True, text=True, timeout=10)
        return result.stdout.strip() if result.returncode == 0 else ""

    def stop(self) -> None:
        """Cancel leftover jobs, then end the daemons (SIGTERM, SIGKILL after 10 s)."""
        if "slurmctld" in self.processes and self.processes["slurmctld"].poll() is None:
            subprocess.run([which("scancel"), "--user", str(os.geteuid())], env=self.env,
                           capture_output=True, timeout=10)
        for name in ("slurmd", "slurmctld", "munged"):
            process = self.processes.get(name)
            if process is None or process.poll() is not None:
                continue
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _write_conf(root: Path, auth: list[str]) -> Path:
    host = socket.gethostname().split(".")[0]
    conf = root / "slurm.conf"
    conf.write_text("\n".join([
        "ClusterName=awetest",
        f"SlurmctldHost={host}(127.0.0.1)",
        f"SlurmctldPort={_free_port()}",
        f"SlurmdPort={_free_port()}",
        "SlurmUser=root",
        "SlurmdUser=root",
        *auth,
        f"StateSaveLocation={root / 'state'}",
        f"SlurmdSpoolDir={root / 'spool'}",
        f"SlurmctldPidFile={root / 'slurmctld.pid'}",
        f"SlurmdPidFile={root / 'slurmd.pid'}",
        f"SlurmctldLogFile={root / 'slurmctld.log'}",
        f"SlurmdLogFile={root / 'slurmd.log'}",
        # No cgroups in a container: plain process tracking, no task binding, no accounting.
        "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none",
        "JobAcctGatherType=jobacct_gather/none",
        "MpiDefault=none",
        "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_Core",
        "ReturnToService=2",
        # Quick turnaround: schedule at once, and let `sbatch --wait` poll every 2 s
        # (it backs off to longer sleeps only while they stay below MinJobAge / 2).
        "SchedulerParameters=batch_sched_delay=0,sched_interval=1",
        "MinJobAge=4",
        f"NodeName={host} NodeAddr=127.0.0.1 CPUs={min(2, os.cpu_count() or 1)} "
        f"RealMemory={int(_memory_mib() * 0.8)} State=UNKNOWN",
        "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
        "",
    ]))
    return conf


def _start(cluster: SlurmCluster, name: str, argv: list[str]) -> None:
    log = open(cluster.root / f"{name}.console.log", "wb")
    cluster.processes[name] = subprocess.Popen(
        argv, env=cluster.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True)
    log.close()


def _wait_for(cluster: SlurmCluster, what: str, ready, deadline: float) -> None:
    while not ready():
        for name, process in cluster.processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with status {process.returncode} while "
                                   f"waiting for {what}\n{cluster.log_tails()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}\n{cluster.log_tails()}")
        time.sleep(0.2)


def start_slurm(root: Path, timeout: float = 30.0) -> SlurmCluster:
    """Start munged (if installed), slurmctld and slurmd under ``root``; wait for an idle node."""
    deadline = time.monotonic() + timeout
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o700)
    for sub in ("state", "spool"):
        (root / sub).mkdir(exist_ok=True)
    env = {**os.environ, "SLURM_CONF": str(root / "slurm.conf")}
    env.pop("SLURM_JOB_ID", None)
    cluster = SlurmCluster(root=root, conf=root / "slurm.conf", env=env)
    munged, mungekey = which("munged"), which("mungekey")
    try:
        if munged and mungekey:
            key, sock = root / "munge.key", root / "munge.socket"
            subprocess.run([mungekey, "--create", "--keyfile", str(key)], check=True,
                           capture_output=True)
            _start(cluster, "munged", [munged, "--foreground", "--force", f"--socket={sock}",
                                       f"--key-file={key}", f"--log-file={root / 'munged.log'}",
                                       f"--pid-file={root / 'munged.pid'}",
                                       f"--seed-file={root / 'munged.seed'}"])
            _wait_for(cluster, "munged's socket", sock.exists, deadline)
            auth = ["AuthType=auth/munge", "CredType=cred/munge", f"AuthInfo=socket={sock}"]
        else:
            auth = ["AuthType=auth/none", "CredType=cred/none"]
        _write_conf(root, auth)
        _start(cluster, "slurmctld", [which("slurmctld"), "-D", "-i", "-f", str(cluster.conf)])
        _start(cluster, "slurmd", [which("slurmd"), "-D", "-f", str(cluster.conf)])
        _wait_for(cluster, "an idle Slurm node", lambda: cluster.node_state() == "idle", deadline)
    except BaseException:
        cluster.stop()
        raise
    return cluster
