"""The README's LangChain and LlamaIndex examples run as written (offline models, a
MiCRo model trained as `mom-micro demo` trains it; LlamaIndex's MockLLM as `my_llm`)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from mom_micro.demo.ranking import train_style_model

ROOT = Path(__file__).resolve().parents[2]


def readme_example(section: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```python\n(.*?)```", body, re.S)
    assert match, f"no python example under ## {section}"
    return match.group(1)


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "docs").mkdir()
    shutil.copy(ROOT / "docs" / "retrieval.md", tmp_path / "docs" / "retrieval.md")
    train_style_model(tmp_path / "mom-micro-demo", out=lambda line: None)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_langchain_example(project, capsys):
    exec(compile(readme_example("LangChain"), "README.md#LangChain", "exec"), {})
    assert capsys.readouterr().out.strip()


def test_llama_index_example(project, capsys):
    from llama_index.core.llms import MockLLM

    exec(
        compile(readme_example("LlamaIndex"), "README.md#LlamaIndex", "exec"),
        {"my_llm": MockLLM(max_tokens=8)},
    )
    assert capsys.readouterr().out.strip()
