"""The policy diff over plain documents: which clauses were added, removed and changed, which
fields changed, and the changed words marked."""

from __future__ import annotations

import copy
import itertools
from typing import Any

import pytest

from adwarden.transparency.policy_diff import (
    CLAUSE_FIELDS,
    Segment,
    clause_order,
    diff_policies,
    field_changes,
    text_diff,
    words,
)


def clause(clause_id: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": clause_id,
        "title": f"Clause {clause_id}",
        "text": f"The text of clause {clause_id}.\n",
        "level": "advertiser",
        "condition": "size(hits.sanctions) > 0",
        "outcome": "off_board",
        "ground": {
            "kind": "terms",
            "law": None,
            "reference_url": None,
            "explanation": "Our terms.",
        },
        "dsa_category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
        "automatic": True,
        "duration_days": None,
        "end_rule": "until lifted",
        "rereview_days": 90,
        "appeal_window_days": 183,
        "appeal_sla_days": 7,
        "classifiers": [],
    }
    return base | fields


def document(*clauses: dict[str, Any], title: str = "Ads policy") -> dict[str, Any]:
    return {"title": title, "clauses": list(clauses)}


def joined(segments: tuple[Segment, ...], *kinds: str) -> str:
    return "".join(segment.text for segment in segments if segment.kind in kinds)


def test_the_same_document_has_no_differences() -> None:
    old = document(clause("2.1"), clause("3.1"))
    diff = diff_policies(old, copy.deepcopy(old))
    assert diff.identical
    assert (diff.added, diff.removed, diff.changed, diff.title) == ((), (), (), None)
    assert diff.unchanged == ("2.1", "3.1")


def test_added_removed_and_changed_clauses_are_told_apart() -> None:
    old = document(clause("2.1"), clause("3.1"), clause("5.1"))
    new = document(
        clause("2.1"),
        clause("3.1", text="The text of clause 3.1, now longer.\n"),
        clause("7.1"),
    )
    diff = diff_policies(old, new)
    assert not diff.identical
    assert [c["id"] for c in diff.added] == ["7.1"]
    assert [c["id"] for c in diff.removed] == ["5.1"]
    assert [c.id for c in diff.changed] == ["3.1"]
    assert diff.unchanged == ("2.1",)
    [change] = diff.changed
    assert [f.field for f in change.changes] == ["text"]
    # added and removed clauses come back whole, as they stand in their own document
    assert diff.added[0] == new["clauses"][2]
    assert diff.removed[0] == old["clauses"][2]


def test_every_changed_field_is_named_with_its_old_and_new_value() -> None:
    old = clause("3.1")
    new = clause(
        "3.1",
        rereview_days=180,
        automatic=False,
        duration_days=30,
        ground=old["ground"] | {"explanation": "Our terms, section 4."},
    )
    changes = {change.field: change for change in field_changes(old, new)}
    assert set(changes) == {"rereview_days", "automatic", "duration_days", "ground.explanation"}
    assert (changes["rereview_days"].old, changes["rereview_days"].new) == (90, 180)
    assert (changes["automatic"].old, changes["automatic"].new) == (True, False)
    assert (changes["duration_days"].old, changes["duration_days"].new) == (None, 30)
    # numbers and booleans have no word diff; text does
    assert changes["rereview_days"].segments is None
    segments = changes["ground.explanation"].segments
    assert segments is not None
    assert segments == (
        Segment("same", "Our "),
        Segment("del", "terms."),
        Segment("ins", "terms, section 4."),
    )


def test_changes_come_in_the_order_a_reader_meets_the_fields() -> None:
    old = clause("3.1")
    new = clause("3.1", appeal_sla_days=5, title="Renamed", outcome="review_required")
    fields = [change.field for change in field_changes(old, new)]
    assert fields == ["title", "outcome", "appeal_sla_days"]
    assert fields == [f for f in CLAUSE_FIELDS if f in fields]


def test_a_ground_gaining_a_law_shows_each_part_that_changed() -> None:
    old = clause("2.1")
    new = clause(
        "2.1",
        ground={
            "kind": "legal",
            "law": "EU Regulation 833/2014",
            "reference_url": "https://eur-lex.europa.eu/",
            "explanation": "Our terms.",
        },
    )
    changes = {change.field: change for change in field_changes(old, new)}
    assert set(changes) == {"ground.kind", "ground.law", "ground.reference_url"}
    assert changes["ground.law"].old is None
    assert changes["ground.law"].new == "EU Regulation 833/2014"
    assert changes["ground.law"].segments is None  # nothing to mark against


def test_a_classifier_list_change_is_one_change_with_both_lists() -> None:
    rule = {"category": "crypto", "keywords": ["ico"], "patterns": [], "domains": []}
    old = clause("5.1", level="post", classifiers=[rule])
    new = clause("5.1", level="post", classifiers=[rule | {"keywords": ["ico", "presale"]}])
    [change] = field_changes(old, new)
    assert change.field == "classifiers"
    assert change.old == [rule]
    assert change.new[0]["keywords"] == ["ico", "presale"]


def test_the_word_diff_marks_only_the_changed_words() -> None:
    segments = text_diff("We do not sell ads to media.", "We do not sell ads to state media.")
    assert segments == (
        Segment("same", "We do not sell ads to "),
        Segment("ins", "state "),
        Segment("same", "media."),
    )


def test_a_replaced_word_is_deleted_then_inserted() -> None:
    segments = text_diff("reviewed every six months", "reviewed every three months")
    assert Segment("del", "six") in segments
    assert Segment("ins", "three") in segments
    kinds = [segment.kind for segment in segments]
    assert kinds.index("del") < kinds.index("ins")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("", "All new text."),
        ("All old text.", ""),
        ("Line one\nline two\n\nA paragraph.", "Line one\nline 2\n\nA new paragraph.\n"),
        ("same", "same"),
        ("a  b\tc", "a b c"),
        ("<script>x</script>", "<b>y</b>"),
    ],
)
def test_the_word_diff_gives_back_both_texts(old: str, new: str) -> None:
    segments = text_diff(old, new)
    assert joined(segments, "same", "del") == old
    assert joined(segments, "same", "ins") == new
    # neighbouring runs of one kind are merged, and none is empty
    assert all(segment.text for segment in segments)
    assert all(a.kind != b.kind for a, b in itertools.pairwise(segments))


def test_words_keep_the_whitespace() -> None:
    assert words("a  b\nc") == ["a", "  ", "b", "\n", "c"]
    assert "".join(words(" lead and trail ")) == " lead and trail "


def test_a_changed_title_is_reported_for_the_policy_and_the_clause() -> None:
    old = document(clause("2.1"), title="Ads policy")
    new = document(clause("2.1", title="Sanctions"), title="Ads policy 2025")
    diff = diff_policies(old, new)
    assert diff.title is not None
    assert (diff.title.old, diff.title.new) == ("Ads policy", "Ads policy 2025")
    [change] = diff.changed
    assert (change.old_title, change.new_title) == ("Clause 2.1", "Sanctions")
    assert change.change("title") is not None
    assert change.change("text") is None


def test_clauses_are_in_number_order_not_string_order() -> None:
    old = document(clause("2.9"))
    new = document(clause("2.10"), clause("2.9"), clause("10.1"), clause("3"))
    diff = diff_policies(old, new)
    assert [c["id"] for c in diff.added] == ["2.10", "3", "10.1"]
    assert sorted(["10", "9", "x", "2.10", "2.9"], key=clause_order) == [
        "2.9",
        "2.10",
        "9",
        "10",
        "x",
    ]


def test_a_document_that_repeats_a_clause_is_refused() -> None:
    with pytest.raises(ValueError, match=r"repeats clause 2\.1"):
        diff_policies(document(clause("2.1"), clause("2.1")), document(clause("2.1")))


def test_the_diff_does_not_change_its_inputs() -> None:
    old = document(clause("2.1"), clause("3.1"))
    new = document(clause("2.1", text="Other.\n"), clause("4.1"))
    before = copy.deepcopy((old, new))
    diff_policies(old, new)
    assert (old, new) == before
