"""Scenario files: validated whole before anything is written, with errors that name the place."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from adwarden.cli import DEFAULT_SCENARIO
from adwarden.scenario.loader import ScenarioError, read_scenario


def copy_scenario(tmp_path: Path) -> Path:
    target = tmp_path / "scenario"
    shutil.copytree(DEFAULT_SCENARIO, target)
    return target


def test_the_2018_scenario_reads_cleanly() -> None:
    scenario = read_scenario(DEFAULT_SCENARIO)
    real = [a.name for a in scenario.advertisers if not a.fictional]
    assert real == ["Kaspersky Lab", "RT", "Sputnik"]
    assert all(p.sources for p in scenario.people.people if not p.fictional)


def test_fictional_advertiser_on_a_real_domain_is_refused(tmp_path: Path) -> None:
    folder = copy_scenario(tmp_path)
    path = next((folder / "advertisers").glob("04-*.yaml"))
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(".example/", ".com/", 1), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"04-.*use a reserved \.example domain"):
        read_scenario(folder)


def test_real_company_without_sources_is_refused(tmp_path: Path) -> None:
    folder = copy_scenario(tmp_path)
    path = folder / "advertisers" / "02-rt.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index("sources:")
    end = start + 1
    while lines[end].startswith("  -"):
        end += 1
    path.write_text("\n".join(lines[:start] + lines[end:]) + "\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"02-rt\.yaml.*needs `sources`"):
        read_scenario(folder)


def test_bad_field_names_file_and_place(tmp_path: Path) -> None:
    folder = copy_scenario(tmp_path)
    path = folder / "advertisers" / "01-kaspersky-lab.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('lifetime_budget: "94000.00"', 'lifetime_budget: "lots"'), "utf-8")
    with pytest.raises(
        ScenarioError, match=r"01-kaspersky-lab.yaml: at campaigns\.0\.lifetime_budget"
    ):
        read_scenario(folder)


def test_unknown_person_and_broken_yaml_are_named(tmp_path: Path) -> None:
    folder = copy_scenario(tmp_path)
    people = folder / "people.yaml"
    people.write_text(
        people.read_text("utf-8").replace("key: svetlana-ivanova", "key: s-ivanova"), "utf-8"
    )
    with pytest.raises(ScenarioError, match="names person 'svetlana-ivanova'"):
        read_scenario(folder)
    (folder / "users.yaml").write_text("users: [unclosed", "utf-8")
    with pytest.raises(ScenarioError, match=r"users\.yaml: not valid YAML"):
        read_scenario(folder)


def test_a_list_comes_from_exactly_one_place(tmp_path: Path) -> None:
    folder = copy_scenario(tmp_path)
    lists = folder / "lists.yaml"
    text = lists.read_text("utf-8")
    lists.write_text(
        text.replace(
            "  - shared: lists/ofac-sdn\n", "  - shared: lists/ofac-sdn\n    file: x.csv\n"
        ),
        "utf-8",
    )
    with pytest.raises(ScenarioError, match="list ofac-sdn: give exactly one of `file` and"):
        read_scenario(folder)
    lists.write_text(text.replace("  - shared: lists/ofac-sdn\n", "  - kind: sanctions\n"), "utf-8")
    with pytest.raises(ScenarioError, match=r"lists\.yaml: .*give exactly one of `file` and"):
        read_scenario(folder)


def test_a_shared_list_that_is_not_there_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = copy_scenario(tmp_path)
    lists = folder / "lists.yaml"
    lists.write_text(
        lists.read_text("utf-8").replace("shared: lists/ofac-sdn", "shared: lists/ofac-sdm"),
        "utf-8",
    )
    with pytest.raises(ScenarioError, match=r"list ofac-sdn: .*lists/ofac-sdm does not exist"):
        read_scenario(folder)
    empty = tmp_path / "nothing-here"
    empty.mkdir()
    monkeypatch.setenv("ADWARDEN_SHARED_DATA", str(empty))
    with pytest.raises(
        ScenarioError,
        match=rf"list ofac-sdm?.*ADWARDEN_SHARED_DATA={empty} is not the shared data folder",
    ):
        read_scenario(folder)
