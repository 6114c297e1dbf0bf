"""`adwarden lists import` and `lists show`, run as a real process on real list files."""

from __future__ import annotations

import csv
import re
import subprocess
from pathlib import Path

from test_cli import run

from shared_data import LISTS

SDN = LISTS / "ofac-sdn"


def sdn_rows() -> int:
    with (SDN / "sdn.csv").open(encoding="utf-8-sig", newline="") as handle:
        return sum(1 for row in csv.reader(handle) if any(cell.strip() for cell in row))


def test_import_the_ofac_sdn_list_twice_and_show_it(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'lists.db'}"
    assert run("--db", db, "init-db").returncode == 0

    def import_sdn() -> subprocess.CompletedProcess[str]:
        return run(
            "--db", db, "lists", "import", str(SDN),
            "--format", "ofac-csv", "--list", "ofac-sdn", "--kind", "sanctions",
        )  # fmt: skip

    first = import_sdn()
    assert first.returncode == 0, first.stderr
    rows = sdn_rows()
    assert rows > 7000
    summary = re.search(
        r"^ofac-sdn v1: (\d+) entries, \+(\d+) -0 ~0, sha256 ([0-9a-f]{64})$", first.stdout, re.M
    )
    assert summary, first.stdout
    assert int(summary.group(1)) == int(summary.group(2)) == rows
    assert "added:" not in first.stdout  # thousands of ids are not printed

    second = import_sdn()
    assert second.returncode == 0, second.stderr
    assert f"ofac-sdn v2: {rows} entries, +0 -0 ~0, sha256 {summary.group(3)}" in second.stdout

    shown = run("--db", db, "lists", "show")
    assert shown.returncode == 0, shown.stderr
    assert re.search(r"^ofac-sdn\s+sanctions\s+2$", shown.stdout, re.M), shown.stdout
    version_lines = re.findall(
        r"^\s+v(\d+)\s.*ofac-csv\s+(\d+) entries\s+(\S+)", shown.stdout, re.M
    )
    assert version_lines == [("2", str(rows), "+0"), ("1", str(rows), f"+{rows}")]
    assert f"sha256 {summary.group(3)[:12]}" in shown.stdout

    one = run("--db", db, "lists", "show", "ofac-sdn")
    assert one.returncode == 0, one.stderr
    assert "v2 against the version before:\n  no changes" in one.stdout

    unknown = run("--db", db, "lists", "show", "nope")
    assert unknown.returncode == 2
    assert "list nope not found" in unknown.stderr


def test_import_a_csv_list_with_a_diff_and_refusals(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'lists.db'}"
    header = "id,name,type,country\n"
    v1 = tmp_path / "v1.csv"
    v1.write_text(header + "a,Alpha Media,organization,RU\nb,Beta,person,\n", encoding="utf-8")
    v2 = tmp_path / "v2.csv"
    v2.write_text(header + "a,Alpha Media Group,organization,RU\nc,Gamma,,\n", encoding="utf-8")

    def import_csv(path: Path, kind: str = "state_media") -> subprocess.CompletedProcess[str]:
        return run(
            "--db", db, "lists", "import", str(path),
            "--format", "csv", "--list", "state-media", "--kind", kind,
        )  # fmt: skip

    no_schema = import_csv(v1)
    assert no_schema.returncode == 2
    assert "init-db" in no_schema.stderr
    assert run("--db", db, "init-db").returncode == 0
    first = import_csv(v1)
    assert first.returncode == 0, first.stderr
    assert "state-media v1: 2 entries, +2 -0 ~0" in first.stdout
    assert "  added: a, b\n" in first.stdout
    second = import_csv(v2)
    assert second.returncode == 0, second.stderr
    assert "state-media v2: 2 entries, +1 -1 ~1" in second.stdout
    assert "  added: c\n  removed: b\n  changed: a\n" in second.stdout

    one = run("--db", db, "lists", "show", "state-media")
    assert one.returncode == 0, one.stderr
    assert "v2 against the version before:\n  added: c\n  removed: b\n  changed: a\n" in one.stdout

    other_kind = import_csv(v1, kind="sanctions")
    assert other_kind.returncode == 2
    assert "state-media is a state_media list" in other_kind.stderr

    bad = tmp_path / "bad.csv"
    bad.write_text(header + "a,Alpha,organization,RU\nb,Beta,robot,\n", encoding="utf-8")
    refused = import_csv(bad)
    assert refused.returncode == 2
    assert f"{bad}:3" in refused.stderr
    assert "robot" in refused.stderr

    bad_id = run(
        "--db", db, "lists", "import", str(v1), "--format", "csv", "--list", "Bad List", "--kind", "custom"
    )  # fmt: skip
    assert bad_id.returncode == 2
    assert "list id 'Bad List'" in bad_id.stderr

    shown = run("--db", db, "lists", "show")
    assert re.search(r"^state-media\s+state_media\s+2$", shown.stdout, re.M), shown.stdout
