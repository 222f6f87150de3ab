"""The core package never imports Django."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import hallops.core


def core_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(hallops.core.__path__, prefix="hallops.core."))


def test_core_modules_found() -> None:
    """Module discovery sees the known core modules (so the import check below covers them)."""
    names = set(core_modules())
    expected = {"states", "policy", "estimate", "timing", "numbering", "identity", "masking", "roles"}
    assert {f"hallops.core.{n}" for n in expected} <= names


def test_core_imports_without_django() -> None:
    """Importing every hallops.core module in a fresh interpreter loads no django module."""
    imports = "".join(f"import {name}\n" for name in core_modules())
    code = (
        "import sys\n" + imports + "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
