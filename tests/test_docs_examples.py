"""The Python examples in README.md and docs/*.md run as written (each document's blocks in
order, in one namespace, from a scratch directory; paths under tests/data made absolute)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
DOCS = [d for d in DOCS if "```python" in d.read_text()]


@pytest.mark.parametrize("doc", DOCS, ids=[str(d.relative_to(ROOT)) for d in DOCS])
def test_examples_run(doc: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = re.findall(r"```python\n(.*?)```", doc.read_text(), flags=re.S)
    namespace: dict[str, object] = {"__name__": "__doc_example__"}
    monkeypatch.chdir(tmp_path)  # examples may write files
    for k, code in enumerate(blocks):
        code = code.replace('"tests/data/', f'"{ROOT}/tests/data/')
        exec(compile(code, f"{doc.name}[block {k}]", "exec"), namespace)
