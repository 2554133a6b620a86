"""What a child Python process started with ``python -c`` needs to import this project as its parent does
(the reader worker, the build's tokenising processes)."""

from __future__ import annotations

import os
import sys


def python_child_env() -> dict[str, str]:
    """This process's environment with ``PYTHONPATH`` set to its ``sys.path`` (absolute): the child finds
    the same modules whether the project was installed, run from a checkout or from a test's directory."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (os.path.abspath(x) for x in sys.path if x) if p)
    return env
