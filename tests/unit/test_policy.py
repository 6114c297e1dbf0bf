"""The written policy: loading refuses every kind of mistake by name; classification and
evaluation say what fired, on which facts, with which evidence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from adwarden.domain.enums import ListKind, Outcome, SubjectLevel
from adwarden.policy.classify import RuleClassifier
from adwarden.policy.document import ClassifierRule
from adwarden.policy.evaluate import evaluate
from adwarden.policy.facts import FACTS
from adwarden.policy.loader import PolicyInvalidError, load_policy
from adwarden.policy.subjects import SubjectFacts

DEFAULT = Path(__file__).resolve().parents[2] / "policies" / "ads-policy.yaml"

CLAUSE = """
  - id: "{id}"
    title: A clause
    text: Some public text.
    level: {level}
    condition: '{condition}'
    outcome: {outcome}
    ground: {ground}
    dsa_category: STATEMENT_CATEGORY_OTHER_VIOLATION_TC
    automatic: true
    end_rule: until lifted
    rereview_days: 30
"""
TERMS = "{kind: terms, explanation: Our terms say so.}"


def clause(
    id: str = "1.1",
    level: str = "advertiser",
    condition: str = "size(hits.directive) > 0",
    outcome: str = "off_board",
    ground: str = TERMS,
    extra: str = "",
) -> str:
    text = CLAUSE.format(id=id, level=level, condition=condition, outcome=outcome, ground=ground)
    return text + extra


def write(folder: Path, name: str, *clauses: str) -> Path:
    path = folder / name
    path.write_text("title: Test policy\nclauses:" + "".join(clauses), encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(PolicyInvalidError) as caught:
        load_policy(path)
    return [str(problem) for problem in caught.value.problems]


def test_the_default_policy_loads_with_the_case_clauses() -> None:
    policy = load_policy(DEFAULT)
    assert [loaded.clause.id for loaded in policy.clauses] == ["2.1", "3.1", "3.2", "5.1", "6.1"]
    directive = policy.clause("3.1").clause
    assert (directive.level, directive.outcome, directive.automatic) == (
        SubjectLevel.advertiser,
        Outcome.off_board,
        False,
    )
    assert policy.clause("6.1").clause.outcome is Outcome.review_required
    assert policy.clause("2.1").clause.ground.law  # a legal ground names its law
    assert len(policy.content_hash) == 64
    assert load_policy(DEFAULT).content_hash == policy.content_hash


def test_the_hash_follows_the_content_not_the_layout(tmp_path: Path) -> None:
    one = load_policy(write(tmp_path, "a.yaml", clause("1.2"), clause("1.1")))
    folder = tmp_path / "folder"
    folder.mkdir()
    write(folder, "x.yaml", clause("1.1"))
    write(folder, "y.yaml", clause("1.2"))
    assert load_policy(folder).content_hash == one.content_hash
    changed = load_policy(write(tmp_path, "b.yaml", clause("1.2"), clause("1.1", outcome="label")))
    assert changed.content_hash != one.content_hash


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (clause(condition="hitz.directive == 1"), "clause 1.1: condition reads unknown fact hitz"),
        (clause(condition="size(hits.directive) >"), "clause 1.1: condition does not compile"),
        (clause(condition="country > 3"), "clause 1.1: condition fails on example facts"),
        (clause(condition="country"), "condition fails on example facts (condition gave 'DE'"),
        (
            clause(outcome="reject_post"),
            "outcome reject_post does not fit level advertiser: use it at post",
        ),
        (
            clause(ground="{kind: legal, explanation: x}"),
            "clause 1.1: ground: a legal ground names the law",
        ),
        (clause(id="4.x"), "clause 4.x: id: String should match pattern"),
        (clause(outcome="ban_forever"), "clause 1.1: outcome: Input should be"),
        (
            clause(extra="    classifiers: [{category: c, keywords: [x]}]\n"),
            "classifiers read post content: only post-level clauses hold them",
        ),
        (
            clause(
                level="post",
                condition='"c" in categories',
                outcome="reject_post",
                extra="    classifiers: [{category: c, patterns: ['(unclosed']}]\n",
            ),
            "pattern '(unclosed' is not a regular expression",
        ),
        (
            clause(extra="    appeal_window_days: 30\n"),
            "clause 1.1: appeal_window_days: Input should be greater than or equal to 183",
        ),
    ],
)
def test_each_mistake_is_named_with_file_clause_and_fix(
    tmp_path: Path, body: str, expected: str
) -> None:
    path = write(tmp_path, "policy.yaml", body)
    found = problems(path)
    assert len(found) == 1, found
    assert found[0].startswith(f"{path}: ")
    assert expected in found[0]


def test_every_problem_is_reported_at_once_and_nothing_loads(tmp_path: Path) -> None:
    folder = tmp_path / "policy"
    folder.mkdir()
    write(folder, "a.yaml", clause("1.1"), clause("1.2", condition="nope > 1"))
    write(folder, "b.yaml", clause("1.1", level="post", outcome="reject_post", condition="true"))
    found = problems(folder)
    assert any("clause 1.2: condition reads unknown fact nope" in p for p in found)
    assert any(
        "clause 1.1: the id is used 2 times" in p and "a.yaml" in p and "b.yaml" in p for p in found
    )
    assert len(found) == 2


def test_unreadable_sources_are_named(tmp_path: Path) -> None:
    assert problems(tmp_path / "missing.yaml") == [
        f"{tmp_path / 'missing.yaml'}: no such file or folder"
    ]
    broken = tmp_path / "broken.yaml"
    broken.write_text("clauses:\n  - id: [unclosed\n", encoding="utf-8")
    [message] = problems(broken)
    assert message.startswith(f"{broken}: not valid YAML at line 3")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert problems(empty) == [f"{empty}: the folder holds no .yaml files"]


def test_every_outcome_names_the_levels_it_fits() -> None:
    assert Outcome.off_board.levels == {SubjectLevel.advertiser}
    assert Outcome.reject_post.levels == {SubjectLevel.post}
    assert Outcome.review_required.levels == set(SubjectLevel)
    assert max(Outcome, key=lambda outcome: outcome.strength) is Outcome.off_board


def test_the_rule_classifier_returns_the_spans_it_matched() -> None:
    classifier = RuleClassifier(
        [
            ClassifierRule(
                category="crypto_offering",
                keywords=["ICO", "token sale"],
                patterns=[r"\bbuy\s+\w+\s+tokens?\b"],
                domains=["coins.example"],
            )
        ]
    )
    text = "ICONIC shoes. Our token-sale is live: buy EXC tokens before the ico ends."
    found = classifier.classify(text, "presale.coins.example")
    assert [(e.rule, e.matched) for e in found] == [
        ("domain", "presale.coins.example"),
        ("keyword", "token-sale"),
        ("pattern", "buy EXC tokens"),
        ("keyword", "ico"),
    ]
    assert all(text[e.start : e.end] == e.matched for e in found if e.start is not None)
    assert classifier.classify("ICONIC design, no offer here", "shop.example") == []


def advertiser(**facts: Any) -> SubjectFacts:
    base = {name: fact.example for name, fact in FACTS[SubjectLevel.advertiser].items()}
    empty = {kind.value: [] for kind in ListKind}
    base.update(hits=dict(empty), open_hits=dict(empty), people_hits=dict(empty))
    base.update(facts)
    hit = {"list_kind": "directive", "entry_id": "bod-1", "list": "dir"}
    other = {"list_kind": "scrutiny", "entry_id": "kr-1", "list": "kr"}
    evidence = {"hits": [hit, other], "people_hits": [other]}
    return SubjectFacts(SubjectLevel.advertiser, 7, "Example Vendor", base, evidence)


def test_the_strongest_outcome_wins_and_every_fired_clause_is_kept() -> None:
    policy = load_policy(DEFAULT)
    empty = {kind.value: [] for kind in ListKind}
    subject = advertiser(
        hits={**empty, "directive": ["bod-1"]}, people_hits={**empty, "scrutiny": ["kr-1"]}
    )
    verdict = evaluate(policy, subject)
    assert [f.clause_id for f in verdict.fired] == ["3.1", "6.1"]
    strongest = verdict.strongest
    assert strongest is not None
    assert (strongest.clause_id, strongest.outcome) == ("3.1", Outcome.off_board)
    assert strongest.needs_human  # 3.1 may not be applied without a reviewer
    assert strongest.facts == {"hits": subject.facts["hits"]}
    # the directive clause cites the directive hit, not the scrutiny one
    assert [e["entry_id"] for e in strongest.evidence] == ["bod-1"]
    review = verdict.fired[1]
    assert review.needs_human
    assert {e["entry_id"] for e in review.evidence} == {"kr-1"}
    assert verdict.policy_hash == policy.content_hash


def test_nothing_fires_on_clean_facts() -> None:
    verdict = evaluate(load_policy(DEFAULT), advertiser())
    assert verdict.fired == ()
    assert verdict.strongest is None


def test_every_fact_is_documented() -> None:
    doc = (DEFAULT.parents[1] / "docs" / "policy.md").read_text(encoding="utf-8")
    for level, facts in FACTS.items():
        assert f"### {level.value}" in doc
        for name, fact in facts.items():
            assert f"| `{name}` | `{fact.type}` |" in doc, f"{level.value}.{name} is undocumented"
