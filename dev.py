#!/usr/bin/env python3
"""Developer entry point: `python3 dev.py demo` runs the demo, `python3 dev.py test` the whole suite.

It needs only Python 3.11+ and pip: on first use it makes `.venv-dev` with nox (and uv, which nox
uses to build each session's environment quickly), then hands over to nox.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
TOOLS = ROOT / ".venv-dev"
BIN = TOOLS / ("Scripts" if os.name == "nt" else "bin")
REQUIREMENTS = ["nox>=2024.4", "uv>=0.4"]

COMMANDS = {
    "test": [],  # nox's default sessions: core, every plugin alone, everything together, lint, types
    "demo": ["-s", "demo"],
    "bench": ["-s", "bench"],
}


def ensure_tools() -> None:
    marker = TOOLS / ".ready"
    if marker.exists():
        return
    print(f"dev.py: creating {TOOLS.name} with {' '.join(REQUIREMENTS)}", flush=True)
    venv.EnvBuilder(with_pip=True, clear=True).create(TOOLS)
    subprocess.run([str(BIN / "python"), "-m", "pip", "install", "--quiet", *REQUIREMENTS], check=True)
    marker.write_text("ok\n")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: python3 dev.py {{{'|'.join(COMMANDS)}}} [nox arguments...]", file=sys.stderr)
        return 2
    ensure_tools()
    command = [str(BIN / "nox"), "--noxfile", str(ROOT / "noxfile.py"), *COMMANDS[argv[0]], *argv[1:]]
    environment = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.call(command, cwd=ROOT, env=environment)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
