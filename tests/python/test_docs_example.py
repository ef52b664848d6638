"""The worked example of docs/python.md runs (on data/demo, from the repository root)."""

import os
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "python.md"


@pytest.mark.skipif(not (ROOT / "data" / "demo").is_dir(), reason="data/demo is not present")
def test_worked_example_runs(capsys, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    example = next(b for b in blocks if "data/demo" in b)
    monkeypatch.chdir(ROOT)
    exec(compile(example, str(DOC), "exec"), {"__name__": "docs_python_example"})
    out = capsys.readouterr().out
    assert out.count("layer ") >= 5 and "peak at layer" in out and "attention ratio" in out
