"""Schemathesis over the whole OpenAPI schema against a real `rag serve` on loopback: no 5xx.

Bounded: a fixed seed, a few dozen examples per operation, one worker process. With an API key
configured, the `ignored_auth` check also proves every keyed operation refuses keyless calls.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.processes import rag_env, rag_serve

pytestmark = pytest.mark.slow

KEY = "schemathesis-key"


def _st() -> list[str]:
    found = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which("st")
    if found is None:
        pytest.skip("schemathesis is not installed (pip install -e '.[test]')")
    return [found]


def test_no_server_error_anywhere_in_the_schema(tmp_path: Path) -> None:
    st = _st()
    env = rag_env(tmp_path / "index", RAG_API_KEYS=KEY)
    with rag_serve(tmp_path / "index", tmp_path / "serve.log", env=env) as url:
        run = subprocess.run(
            [*st, "run", f"{url}/openapi.json", "--checks", "not_a_server_error,ignored_auth",
             "--header", f"Authorization: Bearer {KEY}", "--max-examples", "25", "--seed", "7",
             "--workers", "1", "--phases", "examples,coverage,fuzzing", "--request-timeout", "60",
             "--max-failures", "5", "--output-truncate", "true"],
            capture_output=True, text=True, timeout=400, cwd=tmp_path,
        )
    report = run.stdout[-6000:] + run.stderr[-2000:]
    assert run.returncode == 0, report
    assert re.search(r"Tested: (\d+)", run.stdout) and int(re.search(r"Tested: (\d+)", run.stdout)[1]) >= 8, report
    assert "Traceback" not in (tmp_path / "serve.log").read_text()
