"""The boilerplate check on appeal answers, measured on real platform texts."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from adwarden.appeals.answers import MIN_ANSWER, answer_problem, likeness

EXAMPLES = yaml.safe_load(
    (Path(__file__).parents[1] / "data" / "appeal_answers.yaml").read_text(encoding="utf-8")
)["examples"]
CANDIDATES = [
    (example["original"], candidate) for example in EXAMPLES for candidate in example["candidates"]
]


def test_the_set_is_what_it_says() -> None:
    assert len(EXAMPLES) >= 10
    assert all(example["source"] for example in EXAMPLES)
    assert {c["refuse"] for _, c in CANDIDATES} == {True, False}


@pytest.mark.parametrize(
    ("original", "candidate"),
    CANDIDATES,
    ids=[f"{'refuse' if c['refuse'] else 'accept'}-{i}" for i, (_, c) in enumerate(CANDIDATES)],
)
def test_each_labelled_reply_is_judged_as_labelled(
    original: str, candidate: dict[str, object]
) -> None:
    problem = answer_problem(str(candidate["answer"]), [("the notice", original)])
    found = likeness(str(candidate["answer"]), original)
    assert (problem is not None) is candidate["refuse"], (candidate["how"], found)


def test_the_refusal_names_what_was_repeated() -> None:
    original, _ = CANDIDATES[0]
    problem = answer_problem(f"Hello. {original}. The decision stands.", [("the notice", original)])
    assert problem is not None
    assert problem.startswith("the answer repeats the notice")
    assert "words of its own" in problem


def test_empty_and_too_short_answers_are_refused() -> None:
    assert answer_problem("   ", []) == "write an answer: the advertiser asked for reasons"
    short = answer_problem("Decision upheld.", [])
    assert short is not None
    assert f"at least {MIN_ANSWER}" in short


def test_a_real_answer_may_quote_the_notice_and_go_on() -> None:
    notice = "operates using a business model that inherently conflicts with acceptable Ads business practices"
    answer = (
        f"The notice said the advertiser “{notice}”. That names no clause and no fact, so we "
        "checked what it could have meant: the only record is the directive entry bod-17-01, "
        "which concerns software used by US federal agencies and not advertising. The 2017 ads "
        "themselves broke no clause. We reverse the decision."
    )
    assert answer_problem(answer, [("the notice", notice)]) is None
