"""``pmloop bench``: benchmark data (the load runner is bench/run in the repository)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

bench_app = typer.Typer(help="Benchmark data: fill an empty database with generated zh/en data.",
                        no_args_is_help=True)  # fmt: skip


@bench_app.command("seed")
def seed_command(
    ctx: typer.Context,
    requirements: Annotated[
        int, typer.Option("--requirements", min=0, help="Requirements to generate.")
    ] = 10_000,
    pool: Annotated[int, typer.Option("--pool", min=0, help="Pool items to generate.")] = 100_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same data).")] = 20261121,
    no_index: Annotated[bool, typer.Option("--no-index", help="Skip the search index (faster).")] = False,
    exact_index: Annotated[
        bool,
        typer.Option(
            "--exact-index", help="Index through search.bulk_index (jieba over every document: much slower)."
        ),
    ] = False,
    output: Annotated[
        Path | None, typer.Option("--output", help="Write figures and credentials as JSON.")
    ] = None,
) -> None:
    """Fill an empty, migrated database (run `pmloop init` first) with benchmark data."""
    r = ctx.obj
    r.boot()
    from pmloop.bench.generate import seed as run_seed

    result = run_seed(requirements=requirements, pool=pool, seed=seed, index=not no_index, exact_index=exact_index,
                      progress=lambda m: typer.echo(m, err=True))  # fmt: skip
    out = result.as_dict()
    if output:
        output.write_text(json.dumps(out, ensure_ascii=False, indent=1))
    typer.echo(f"{out['total_rows']} rows in {out['total_seconds']} s ({out['rows_per_second']} rows/s)")
