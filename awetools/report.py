"""Results tables from evaluation JSON files (the table a recipe prints at its end).

Every ``awe eval`` task writes a JSON file; this module flattens the numbers in each
file (nested keys joined with ``.``), keeps the chosen columns and renders one row per
file as markdown, next to a JSON version of the same table.
"""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

from awetools.errors import AweError


def flatten_numbers(obj: dict, prefix: str = "", depth: int = 3) -> dict[str, float]:
    """Numeric leaves of a JSON object, keyed ``a.b.c`` (lists and strings are skipped)."""
    out: dict[str, float] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, bool):
            continue
        if isinstance(value, (int, float)):
            out[name] = value
        elif isinstance(value, dict) and depth > 1:
            out.update(flatten_numbers(value, f"{name}.", depth - 1))
    return out


def load_rows(paths: list[Path]) -> list[tuple[str, dict[str, float]]]:
    """(row name, numbers) per JSON file; the row name is the file name without extension."""
    rows = []
    for path in paths:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise AweError(f"{path}: no such results file") from None
        except json.JSONDecodeError as exc:
            raise AweError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
        if not isinstance(data, dict):
            raise AweError(f"{path}: expected a JSON object")
        rows.append((Path(path).stem, flatten_numbers(data)))
    return rows


def select_columns(rows: list[tuple[str, dict[str, float]]], patterns: list[str]) -> list[str]:
    """Columns matching the glob patterns, in pattern order then first appearance."""
    seen: list[str] = []
    for _, numbers in rows:
        seen.extend(k for k in numbers if k not in seen)
    columns: list[str] = []
    for pattern in patterns or ["*"]:
        columns.extend(c for c in seen if fnmatch.fnmatchcase(c, pattern) and c not in columns)
    return columns


def _cell(value: float | None, digits: int) -> str:
    if value is None:
        return "-"
    if isinstance(value, int) or float(value).is_integer() and abs(value) >= 100:
        return f"{int(value)}"
    return f"{value:.{digits}f}"


def markdown_table(rows: list[tuple[str, dict[str, float]]], columns: list[str], title: str = "",
                   digits: int = 3) -> str:
    """A markdown table: one row per results file, one column per metric."""
    lines = [f"### {title}", ""] if title else []
    lines.append("| " + " | ".join(["run", *columns]) + " |")
    lines.append("|" + "---|" * (len(columns) + 1))
    for name, numbers in rows:
        lines.append("| " + " | ".join([name, *(_cell(numbers.get(c), digits) for c in columns)]) + " |")
    return "\n".join(lines) + "\n"
