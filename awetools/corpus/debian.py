"""Versions of installed Debian packages, for the manifests of corpora that use them."""

from __future__ import annotations

import shutil
import subprocess


def package_versions(packages: list[str]) -> dict[str, str]:
    """Debian package -> installed version ('unknown' where dpkg does not know it)."""
    query = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Version}\\n", *packages],
                           capture_output=True, text=True) if shutil.which("dpkg-query") else None
    found = dict(line.split(" ", 1) for line in (query.stdout if query else "").splitlines() if " " in line)
    return {package: found.get(package, "unknown") for package in packages}
