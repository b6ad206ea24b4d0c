"""`python -m rag.bench`: the benchmark suite without the rest of the CLI."""

import typer

from rag.bench.command import bench_command

if __name__ == "__main__":
    typer.run(bench_command)
