"""Runs every benchmark script in this folder (pass --quick for small sizes) and prints their figures."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main() -> int:
    extra = sys.argv[1:]
    failures = 0
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"\n=== {script.name} {' '.join(extra)}", flush=True)
        failures += subprocess.call([sys.executable, str(script), *extra]) != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
