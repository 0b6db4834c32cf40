"""CLI start-up: `eggbin --help` and `eggbin init --help` against `python -c pass` and a bare Typer app.

    python bench/cli_start.py [--runs 20]

Target (issue #2): `eggbin --help` median < 100 ms.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from harness import Measurement, report, time_command

BARE_TYPER = '''
import typer
app = typer.Typer()
@app.command()
def init(name: str = "x"):
    """Scaffold."""
@app.command()
def dev(port: int = 0):
    """Serve."""
app()
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    eggbin = str(Path(sys.executable).parent / "eggbin")
    with tempfile.TemporaryDirectory() as tmp:
        bare = Path(tmp) / "bare_typer.py"
        bare.write_text(BARE_TYPER)
        rows = [
            Measurement("python -c pass", time_command([sys.executable, "-c", "pass"], runs)),
            Measurement("bare typer --help", time_command([sys.executable, str(bare), "--help"], runs)),
            Measurement("eggbin --help", time_command([eggbin, "--help"], runs)),
            Measurement("eggbin init --help", time_command([eggbin, "init", "--help"], runs)),
            Measurement("eggbin --version", time_command([eggbin, "--version"], runs)),
        ]
    report("cli_start", rows, anchor="bare typer --help", notes="target: eggbin --help < 100 ms")


if __name__ == "__main__":
    main()
