"""`python -m regionctl.precompile`: compile what a start-up would otherwise compile, once.

Byte-compiles the package (as pip does when it installs a wheel) and fills the table of dataclass
methods (regionctl/_codecache.py), so that even the first start-up after an install or an edit
compiles nothing. Writes where Python writes bytecode, whatever PYTHONDONTWRITEBYTECODE says.
"""

from __future__ import annotations

import compileall
import os

from regionctl import _codecache


def main() -> None:
    compileall.compile_dir(os.path.dirname(__file__), quiet=1)
    methods = _codecache.build()
    print(f"regionctl: byte-compiled; {methods} dataclass methods in {_codecache.TABLE_PATH}")


if __name__ == "__main__":
    main()
