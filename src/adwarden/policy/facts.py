"""The facts a clause's condition may read, per subject level: names, types and meaning.

This table is the contract between the policy team and the code. A condition
that reads anything else is refused when the policy loads, and the example
values are what a condition is tried on before it is accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adwarden.domain.enums import ListKind, SubjectLevel


@dataclass(frozen=True)
class Fact:
    type: str  # in CEL's terms
    description: str
    example: Any


def _by_list_kind(example: dict[str, list[str]]) -> dict[str, list[str]]:
    """Every list kind present, so `hits.directive` never fails for want of a key."""
    return {kind.value: example.get(kind.value, []) for kind in ListKind}


_HITS = (
    "map(string, list(string))",
    "confirmed screening hits by list kind (sanctions, directive, state_media, scrutiny, "
    "custom) to the list entries' ids, e.g. hits.directive == ['bod-17-01']",
)
_OPEN_HITS = (
    "map(string, list(string))",
    "screening hits not yet reviewed, by list kind, as `hits`",
)

FACTS: dict[SubjectLevel, dict[str, Fact]] = {
    SubjectLevel.advertiser: {
        "names": Fact(
            "list(string)", "every name the advertiser goes by, in any script", ["Example Org"]
        ),
        "kind": Fact("string", "organization or person", "organization"),
        "country": Fact("string", "ISO 3166-1 alpha-2 country code, or '' if unknown", "DE"),
        "industry": Fact("string", "the industry the advertiser declared, or ''", "retail"),
        "state_controlled": Fact(
            "bool",
            "a confirmed hit on a state_media list names the advertiser",
            False,
        ),
        "owners": Fact(
            "list(map(string, string))",
            "the people behind the advertiser: name, role (owner, officer, founder), country",
            [{"name": "Sample Person", "role": "owner", "country": "DE"}],
        ),
        "hits": Fact(*_HITS, _by_list_kind({"directive": ["bod-1"]})),
        "open_hits": Fact(*_OPEN_HITS, _by_list_kind({})),
        "people_hits": Fact(
            "map(string, list(string))",
            "confirmed or open screening hits on the advertiser's people, by list kind",
            _by_list_kind({"scrutiny": ["kr-1"]}),
        ),
    },
    SubjectLevel.account: {
        "handle": Fact("string", "the account's handle, without @", "example"),
        "display_name": Fact("string", "the name the account shows", "Example"),
        "owned": Fact("bool", "an advertiser owns the account", True),
        "owner_id": Fact("int", "the owning advertiser's id, or 0", 1),
        "age_days": Fact("int", "days since the account was opened", 400),
        "hits": Fact(*_HITS, _by_list_kind({})),
        "open_hits": Fact(*_OPEN_HITS, _by_list_kind({})),
    },
    SubjectLevel.campaign: {
        "name": Fact("string", "the campaign's name", "Spring sale"),
        "keywords": Fact("list(string)", "targeting keywords, lower case", ["shoes"]),
        "countries": Fact("list(string)", "targeted countries; empty means everywhere", ["DE"]),
        "advertiser_country": Fact("string", "the advertiser's country, or ''", "DE"),
    },
    SubjectLevel.post: {
        "text": Fact("string", "the promoted post's text", "Fresh bread every morning."),
        "landing_domain": Fact(
            "string", "the landing page's host name, lower case, or ''", "shop.example"
        ),
        "categories": Fact(
            "list(string)",
            "content categories the classifier found, e.g. ['crypto_offering']; each comes "
            "with the evidence spans that matched",
            [],
        ),
        "account_age_days": Fact("int", "days since the posting account was opened", 400),
        "advertiser_country": Fact("string", "the advertiser's country, or ''", "DE"),
    },
}


def example_facts(level: SubjectLevel) -> dict[str, Any]:
    return {name: fact.example for name, fact in FACTS[level].items()}
