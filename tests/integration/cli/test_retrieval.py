"""``mom-micro ingest`` then ``mom-micro query`` end to end with the real offline models."""

from __future__ import annotations

from mom_micro.cli import main
from tests.support.memory import DATA

WATER = DATA / "harbor_city_water.txt"


def test_ingest_then_query_end_to_end(tmp_path, capsys):
    doc = tmp_path / "water.txt"
    doc.write_text(WATER.read_text(encoding="utf-8"), encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n", encoding="utf-8")
    index = str(tmp_path / "idx")
    assert main(["ingest", str(doc), "--index", index, "--no-progress"]) == 0
    assert "1 added" in capsys.readouterr().out
    assert main(["ingest", str(doc), "--index", index, "--no-progress"]) == 0
    assert "1 unchanged" in capsys.readouterr().out
    assert (
        main(["query", "Where does the city get its drinking water?", "--index", index, "-k", "2"])
        == 0
    )
    out = capsys.readouterr().out
    assert out.startswith("[1] water.txt / ") and "[2] water.txt / " in out
    assert all(f"{evidence} " in out for evidence in ("chunk", "sentence", "core", "outline"))
    assert main(["ingest", str(empty), "--index", index]) == 2
    assert "empty" in capsys.readouterr().err.lower()
