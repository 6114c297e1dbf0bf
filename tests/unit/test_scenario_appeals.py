"""Scenario appeals: checked whole before anything is written, with errors that name the file,
the appeal and the problem."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from adwarden.cli import DEFAULT_SCENARIO
from adwarden.scenario.loader import ScenarioError, read_scenario

KASPERSKY_USER = "kaspersky-lab@advertisers.adwarden.example"
PLACE = r"enforcement\.yaml: at appeals\.0 \(kaspersky-lab, clause 3\.1\)"


def with_appeals(tmp_path: Path, change: Any) -> Path:
    """A copy of the 2018 scenario whose enforcement.yaml `appeals:` list `change` edits."""
    folder = tmp_path / "scenario"
    shutil.copytree(DEFAULT_SCENARIO, folder)
    path = folder / "enforcement.yaml"
    plan = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(plan["appeals"])
    path.write_text(yaml.safe_dump(plan, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder


def test_the_2018_appeal_reads_cleanly() -> None:
    plan = read_scenario(DEFAULT_SCENARIO).enforcement
    assert plan is not None
    [appeal] = plan.appeals
    [decision] = [d for d in plan.decisions if (d.advertiser, d.clause) == ("kaspersky-lab", "3.1")]
    assert (appeal.advertiser, appeal.clause, appeal.filed_by) == (
        "kaspersky-lab",
        "3.1",
        KASPERSKY_USER,
    )
    assert appeal.answer is not None
    assert (appeal.answer.by, appeal.answer.outcome) == ("reviewer2@adwarden.example", "upheld")
    assert appeal.answer.by != decision.by
    assert len(appeal.answer.points) == len(appeal.arguments) == 6


def test_the_round_trip_of_the_copy_changes_nothing(tmp_path: Path) -> None:
    copy = read_scenario(with_appeals(tmp_path, lambda appeals: None)).enforcement
    assert copy == read_scenario(DEFAULT_SCENARIO).enforcement


@pytest.mark.parametrize(
    ("filed_by", "problem"),
    [
        (
            "examplecoin@advertisers.adwarden.example",
            "is a user of advertiser examplecoin; an appeal is filed by a user of kaspersky-lab",
        ),
        ("reviewer2@adwarden.example", r"is staff \(role reviewer\), not an advertiser user"),
        ("nobody@advertisers.adwarden.example", "is not a user in users.yaml"),
    ],
)
def test_an_appeal_is_filed_by_a_user_of_the_advertiser(
    tmp_path: Path, filed_by: str, problem: str
) -> None:
    def change(appeals: list[dict[str, Any]]) -> None:
        appeals[0]["filed_by"] = filed_by

    with pytest.raises(ScenarioError, match=rf"{PLACE}: filed_by {filed_by} {problem}"):
        read_scenario(with_appeals(tmp_path, change))


def test_the_decider_may_not_answer_the_appeal(tmp_path: Path) -> None:
    def change(appeals: list[dict[str, Any]]) -> None:
        appeals[0]["answer"]["by"] = "reviewer@adwarden.example"

    with pytest.raises(
        ScenarioError,
        match=rf"{PLACE}: answer\.by reviewer@adwarden\.example made the appealed decision .*"
        r"took no part in the decision \(four eyes\)",
    ):
        read_scenario(with_appeals(tmp_path, change))


@pytest.mark.parametrize(
    ("by", "problem"),
    [
        ("admin@adwarden.example", "has the role admin; only a reviewer or a policy admin answers"),
        ("someone@adwarden.example", "is not a user in users.yaml"),
    ],
)
def test_the_answer_is_by_a_reviewer_or_policy_admin(tmp_path: Path, by: str, problem: str) -> None:
    def change(appeals: list[dict[str, Any]]) -> None:
        appeals[0]["answer"]["by"] = by

    with pytest.raises(ScenarioError, match=rf"{PLACE}: answer\.by {by} {problem}"):
        read_scenario(with_appeals(tmp_path, change))

    # a policy admin who took no part may answer
    def to_admin(appeals: list[dict[str, Any]]) -> None:
        appeals[0]["answer"]["by"] = "policy@adwarden.example"

    plan = read_scenario(with_appeals(tmp_path / "ok", to_admin)).enforcement
    assert plan is not None
    assert plan.appeals[0].answer is not None
    assert plan.appeals[0].answer.by == "policy@adwarden.example"


@pytest.mark.parametrize("keep", [5, 7])
def test_one_point_per_argument(tmp_path: Path, keep: int) -> None:
    def change(appeals: list[dict[str, Any]]) -> None:
        points = appeals[0]["answer"]["points"]
        appeals[0]["answer"]["points"] = [*points, "One point too many, for no argument."][:keep]

    with pytest.raises(
        ScenarioError,
        match=rf"enforcement\.yaml: at appeals\.0: .*answer\.points gives {keep} replies to 6 "
        "arguments: answer each argument, in order",
    ):
        read_scenario(with_appeals(tmp_path, change))


def test_arguments_are_one_to_ten_real_sentences(tmp_path: Path) -> None:
    def none(appeals: list[dict[str, Any]]) -> None:
        appeals[0]["arguments"] = []
        del appeals[0]["answer"]

    with pytest.raises(
        ScenarioError, match=r"enforcement\.yaml: at appeals\.0\.arguments: .*at least 1"
    ):
        read_scenario(with_appeals(tmp_path / "none", none))

    def eleven(appeals: list[dict[str, Any]]) -> None:
        appeals[0]["arguments"] = [f"Argument number {n} of eleven." for n in range(11)]
        del appeals[0]["answer"]

    with pytest.raises(ScenarioError, match=r"at appeals\.0\.arguments: .*at most 10"):
        read_scenario(with_appeals(tmp_path / "eleven", eleven))

    def short(appeals: list[dict[str, Any]]) -> None:
        appeals[0]["arguments"][2] = "Why?"

    with pytest.raises(ScenarioError, match=r"at appeals\.0\.arguments\.2: .*at least 10"):
        read_scenario(with_appeals(tmp_path / "short", short))

    def curt(appeals: list[dict[str, Any]]) -> None:
        appeals[0]["answer"]["answer"] = "The decision stands."

    with pytest.raises(ScenarioError, match=r"at appeals\.0\.answer\.answer: .*at least 40"):
        read_scenario(with_appeals(tmp_path / "curt", curt))

    def modified(appeals: list[dict[str, Any]]) -> None:
        appeals[0]["answer"]["outcome"] = "modified"

    with pytest.raises(
        ScenarioError, match=r"at appeals\.0\.answer\.outcome: .*'upheld' or 'reversed'"
    ):
        read_scenario(with_appeals(tmp_path / "modified", modified))


def test_the_advertiser_must_exist(tmp_path: Path) -> None:
    def change(appeals: list[dict[str, Any]]) -> None:
        appeals[0]["advertiser"] = "kaspersky-labs"

    with pytest.raises(
        ScenarioError,
        match=r"at appeals\.0 \(kaspersky-labs, clause 3\.1\): names advertiser 'kaspersky-labs', "
        "which no file in advertisers/ defines",
    ):
        read_scenario(with_appeals(tmp_path, change))


def test_a_second_appeal_of_the_same_decision(tmp_path: Path) -> None:
    again = r"enforcement\.yaml: at appeals\.1 \(kaspersky-lab, clause 3\.1\)"

    def open_first(appeals: list[dict[str, Any]]) -> None:
        appeals.append(dict(appeals[0]))
        del appeals[0]["answer"]

    with pytest.raises(ScenarioError, match=rf"{again}: appeals\.0 .* is still open"):
        read_scenario(with_appeals(tmp_path / "open", open_first))

    def reversed_first(appeals: list[dict[str, Any]]) -> None:
        appeals.append({k: v for k, v in appeals[0].items() if k != "answer"})
        appeals[0]["answer"]["outcome"] = "reversed"

    with pytest.raises(ScenarioError, match=rf"{again}: appeals\.0 reversed this decision"):
        read_scenario(with_appeals(tmp_path / "reversed", reversed_first))

    def same_answerer(appeals: list[dict[str, Any]]) -> None:
        appeals.append(dict(appeals[0]))

    with pytest.raises(
        ScenarioError,
        match=rf"{again}: answer\.by reviewer2@adwarden\.example answered appeals\.0 .*four eyes",
    ):
        read_scenario(with_appeals(tmp_path / "same", same_answerer))

    def another_answerer(appeals: list[dict[str, Any]]) -> None:
        appeals.append(
            {**appeals[0], "answer": {**appeals[0]["answer"], "by": "policy@adwarden.example"}}
        )

    plan = read_scenario(with_appeals(tmp_path / "fine", another_answerer)).enforcement
    assert plan is not None
    assert [a.answer.by for a in plan.appeals if a.answer] == [
        "reviewer2@adwarden.example",
        "policy@adwarden.example",
    ]
