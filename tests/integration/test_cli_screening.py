"""`adwarden screen`, `screen batch` and `screen pairs`, run as real processes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_cli import run

from shared_data import LISTS

HEADER = "id,name,type,aliases,country,program,source_url,listed_on,notes\n"


@pytest.fixture(scope="module")
def screening_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite database with the real OFAC SDN list and a small directive list."""
    folder = tmp_path_factory.mktemp("screening")
    url = f"sqlite:///{folder / 'lists.db'}"
    directive = folder / "bod.csv"
    directive.write_text(
        HEADER + "bod-1,AO Kaspersky Lab,organization,Лаборатория Касперского,RU,,,2017-09-13,\n",
        encoding="utf-8",
    )
    assert run("--db", url, "init-db").returncode == 0
    for args in (
        (
            str(LISTS / "ofac-sdn"),
            "--format",
            "ofac-csv",
            "--list",
            "ofac-sdn",
            "--kind",
            "sanctions",
        ),
        (str(directive), "--format", "csv", "--list", "dhs-bod-17-01", "--kind", "directive"),
    ):
        done = run("--db", url, "lists", "import", *args)
        assert done.returncode == 0, done.stderr
    return url


def test_screen_a_name_in_another_script(screening_db: str) -> None:
    done = run("--db", screening_db, "screen", "Лаборатория Касперского", "--type", "organization")
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    assert "dhs-bod-17-01 bod-1" in first
    assert "transliterated from Cyrillic" in done.stdout


def test_screen_json_names_list_entry_score_and_explanation(screening_db: str) -> None:
    done = run("--db", screening_db, "screen", "Evgeniy Prigozhin", "--type", "person", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    best = result["matches"][0]
    assert (best["list"], best["entry_id"]) == ("ofac-sdn", "21171")
    assert best["name"] == "PRIGOZHIN, Evgeny"
    assert 0.85 <= best["score"] <= 1
    assert "prigozhin = prigozhin" in best["explanation"]


def test_screen_rejects_a_bad_type_and_country(screening_db: str) -> None:
    bad_type = run("--db", screening_db, "screen", "Anyone", "--type", "company-ish")
    assert bad_type.returncode == 2
    assert "type 'company-ish' is not person or organization" in bad_type.stderr
    bad_country = run("--db", screening_db, "screen", "Anyone", "--country", "Russia")
    assert bad_country.returncode == 2
    assert "--country 'Russia'" in bad_country.stderr


def test_batch_writes_one_line_per_row_in_order(screening_db: str, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        "id,name,type,country,birth_date,extra\n"
        "a1,Harbour Bakery,organization,GB,,ignored\n"
        "a2,Yevgeny Prigozhin,person,RU,1961-06-01,\n"
        "a3,Kaspersky Lab,organization,,,\n",
        encoding="utf-8",
    )
    output = tmp_path / "out.jsonl"
    done = run("--db", screening_db, "screen", "batch", str(source), "--output", str(output))
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == ["a1", "a2", "a3"]
    assert lines[0]["matches"] == []
    assert lines[1]["matches"][0]["entry_id"] == "21171"
    assert "date of birth 1961-06-01 on both" in lines[1]["matches"][0]["explanation"]
    assert lines[2]["matches"][0]["list"] == "dhs-bod-17-01"
    scores = [m["score"] for line in lines for m in line["matches"]]
    assert all(score >= 0.85 for score in scores)

    only = run(
        "--db", screening_db, "screen", "batch", str(source), "--output", str(output),
        "--lists", "dhs-bod-17-01", "--threshold", "0.5",
    )  # fmt: skip
    assert only.returncode == 0, only.stderr
    lists = {
        m["list"] for line in output.read_text().splitlines() for m in json.loads(line)["matches"]
    }
    assert lists == {"dhs-bod-17-01"}


MESSY = (
    "id,name,type,country,birth_date\n"
    "m1,Yevgeny Prigozhin,person,Russia,1961-6-1\n"
    "m2,Yevgeny Prigozhin,person,Россия,1.6.1961\n"
    "m3,Harbour Bakery,organization,United Arab Emirates,1969/07/16\n"
    "m4,Kaspersky Lab,organization,Vereinigte Arabische Emirate,1974-01-32\n"
    "m5,,person,GB,1969\n"
    "m6,Someone,spaceship,Narnia,soon\n"
    "m7,Evgeniy Prigozhin,person,ru,1961-06\n"
)


def _check_messy(lines: list[dict[str, Any]], suffix: str = "") -> None:
    ids = ["m1", "m2", "m3", "m4", "m5", "m6", "m7"]
    assert [line["id"] for line in lines] == [i + suffix for i in ids]
    # good rows keep exactly their old shape; loose dates and country names are read
    for line in (lines[0], lines[1], lines[6]):
        assert set(line) == {"id", "matches"}
        best = line["matches"][0]
        assert set(best) == {"list", "entry_id", "name", "score", "explanation"}
        assert best["entry_id"] == "21171"
        assert "country RU on both" in best["explanation"]
    assert "date of birth 1961-06-01 on both" in lines[0]["matches"][0]["explanation"]
    assert "date of birth 1961-06-01 on both" in lines[1]["matches"][0]["explanation"]
    assert "born 1961 on both" in lines[6]["matches"][0]["explanation"]
    assert lines[2] == {"id": "m3" + suffix, "matches": []}
    # an impossible date is left out, the row is still screened, with the country it names
    assert lines[3]["warnings"] == ["birth_date '1974-01-32' is not a real date; left out"]
    assert lines[3]["matches"][0]["list"] == "dhs-bod-17-01"
    assert "country differs: AE vs RU" in lines[3]["matches"][0]["explanation"]
    assert "date of birth" not in lines[3]["matches"][0]["explanation"]
    assert lines[4] == {"id": "m5" + suffix, "error": "line 6: name is empty"}
    assert set(lines[5]) == {"id", "matches", "warnings"}
    assert [w.split(" ")[:2] for w in lines[5]["warnings"]] == [
        ["type", "'spaceship'"],
        ["country", "'Narnia'"],
        ["birth_date", "'soon'"],
    ]


def test_batch_screens_messy_rows_and_goes_on(screening_db: str, tmp_path: Path) -> None:
    source = tmp_path / "messy.csv"
    source.write_text(MESSY, encoding="utf-8")
    output = tmp_path / "out.jsonl"
    done = run("--db", screening_db, "screen", "batch", str(source), "--output", str(output))
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    _check_messy(lines)
    assert done.stderr.strip().endswith(
        f"7 rows: 4 with matches, 4 warnings, 1 errors (not screened); written to {output}"
    )


def test_batch_strict_exits_1_after_writing_every_line_from_workers(
    screening_db: str, tmp_path: Path
) -> None:
    # enough rows that the batch runs in forked workers
    head, *rows = MESSY.splitlines()
    copies = 150
    body = [f"{row.replace(',', f'-{n},', 1)}" for n in range(copies) for row in rows]
    source = tmp_path / "big.csv"
    source.write_text("\n".join([head, *body]) + "\n", encoding="utf-8")
    output = tmp_path / "out.jsonl"
    done = run(
        "--db", screening_db, "screen", "batch", str(source), "--output", str(output),
        "--workers", "2", "--strict",
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    lines = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 7 * copies
    for n in range(copies):
        block = lines[7 * n : 7 * n + 7]
        block[4]["error"] = block[4]["error"].replace(f"line {7 * n + 6}:", "line 6:")
        _check_messy(block, f"-{n}")
    assert f"{7 * copies} rows: {4 * copies} with matches, {4 * copies} warnings, " in done.stderr
    assert f"{copies} errors (not screened)" in done.stderr


def test_batch_refuses_a_file_without_a_column_or_an_unknown_list(
    screening_db: str, tmp_path: Path
) -> None:
    source = tmp_path / "in.csv"
    output = tmp_path / "out.jsonl"
    missing = tmp_path / "missing.csv"
    missing.write_text("id,type\nc1,person\n", encoding="utf-8")
    done = run("--db", screening_db, "screen", "batch", str(missing), "--output", str(output))
    assert done.returncode == 2
    assert "missing column name" in done.stderr

    source.write_text("id,name,type\nb1,Someone,person\n", encoding="utf-8")
    done = run(
        "--db", screening_db, "screen", "batch", str(source), "--output", str(output),
        "--lists", "ofac-sdn,no-such-list",
    )  # fmt: skip
    assert done.returncode == 2
    assert "no list no-such-list" in done.stderr


def test_pairs_scores_each_row(tmp_path: Path) -> None:
    source = tmp_path / "pairs.csv"
    source.write_text(
        "id,name1,name2,schema\n"
        "p1,Yevgeny Kaspersky,Eugene Kaspersky,Person\n"
        "p2,Kaspersky Lab,Лаборатория Касперского,Company\n"
        "p3,Eugene Kasparov,Eugene Kaspersky,Person\n",
        encoding="utf-8",
    )
    output = tmp_path / "out.jsonl"
    done = run("screen", "pairs", str(source), "--output", str(output))
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert [(line["id"], line["match"]) for line in lines] == [
        ("p1", True),
        ("p2", True),
        ("p3", False),
    ]
    assert lines[2]["score"] < 0.85 <= lines[0]["score"]


def test_pairs_refuses_an_unknown_schema(tmp_path: Path) -> None:
    source = tmp_path / "pairs.csv"
    source.write_text("id,name1,name2,schema\nq1,A,B,Spaceship\n", encoding="utf-8")
    done = run("screen", "pairs", str(source), "--output", str(tmp_path / "out.jsonl"))
    assert done.returncode == 2
    assert f"{source}:2: schema 'Spaceship'" in done.stderr
