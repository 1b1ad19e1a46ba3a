"""``awe report``: one results table from several evaluation JSON files."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from awetools.cli.main import app
from awetools.io.atomic import atomic_open
from awetools.report import load_rows, markdown_table, select_columns


@app.command("report")
def report(
    results: list[Path] = typer.Argument(..., help="JSON files written by 'awe eval ... --json'."),
    columns: list[str] = typer.Option([], "--column", "-c", help="Metric to show (glob on flattened keys such as 'ap', 'metrics.*'); repeatable. Default: all numbers."),
    title: str = typer.Option("", "--title", help="Table title."),
    digits: int = typer.Option(3, "--digits", help="Decimals per cell."),
    markdown: Path | None = typer.Option(None, "--markdown", help="Also write the markdown table here."),
    json_out: Path | None = typer.Option(None, "--json", help="Write the table as JSON here."),
) -> None:
    """Print one markdown table, one row per results file, one column per metric.

    Usage: awe report [options] RESULT.json...

    Numbers nested in the JSON are named by their path (e.g. 'swdp.ap'); the row name is
    the file name without '.json'.

    Example:

    \b
      awe report -c ap -c swdp_ap --markdown exp/results/table.md exp/results/samediff_*.json
    """
    rows = load_rows(results)
    chosen = select_columns(rows, columns)
    table = markdown_table(rows, chosen, title, digits)
    typer.echo(table, nl=False)
    if markdown is not None:
        with atomic_open(markdown) as out:
            out.write(table)
    if json_out is not None:
        with atomic_open(json_out) as out:
            json.dump({"title": title, "columns": chosen,
                       "rows": [{"run": name, **{c: nums.get(c) for c in chosen}} for name, nums in rows]},
                      out, indent=2)
