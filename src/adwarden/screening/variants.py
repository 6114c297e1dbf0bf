"""Spelling rules that tell when two written forms are one name.

Each rule is general: it describes how names move between languages and
transliteration systems, never a particular list entry.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Russian adjectival surnames and nouns in oblique cases, back to the
# nominative: "Лаборатория Касперского" is Kaspersky's Lab. Only endings that
# are unambiguous for names; plain -a/-oi endings are left alone because they also
# make feminine surnames (Петрова is not Петров).
_CYRILLIC_ENDINGS: tuple[tuple[str, str], ...] = (
    ("ского", "ский"),
    ("скому", "ский"),
    ("ским", "ский"),
    ("ском", "ский"),
    ("цкого", "цкий"),
    ("цкому", "цкий"),
    ("цким", "цкий"),
    ("цком", "цкий"),
)
# the same endings once transliterated, as they appear in Latin-script sources
_LATIN_ENDINGS: tuple[tuple[str, str], ...] = (
    ("skogo", "sky"),
    ("skomu", "sky"),
    ("tskogo", "tsky"),
    ("tskomu", "tsky"),
)


def russian_nominative(token: str) -> str:
    """Undo a genitive/dative/instrumental adjectival ending; cheap and safe."""
    if len(token) < 6:
        return token
    for ending, nominative in _CYRILLIC_ENDINGS if not token.isascii() else _LATIN_ENDINGS:
        if token.endswith(ending):
            return token[: -len(ending)] + nominative
    return token


# Ordered rewrites that collapse transliteration systems (BGN/PCGN, ISO 9,
# German, French, scholarly) onto one spelling. Applied to lower-case ASCII.
_FOLDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"(?<=s)(kiy|kii|kij|ki|kyi|kyj)$", "ky"),  # -skiy/-skii/-ski -> -sky
        (r"(iy|ii|ij|yi|yy)$", "y"),  # Evgeniy, Dmitrii -> Evgeny, Dmitry
        (r"^ye", "e"),  # Yevgeny, Yelena -> Evgeny, Elena
        (r"^je(?=[vw])", "e"),  # German Jewgeni
        (r"^(iu|ju)", "yu"),
        (r"^(ia|ja)", "ya"),
        (r"(?<=[aeiou])(iu|ju)", "yu"),
        (r"(?<=[aeiou])(ia|ja)", "ya"),
        (r"tsch", "ch"),
        (r"sch", "sh"),
        (r"tch", "ch"),
        (r"dzh", "j"),
        (r"zh", "j"),
        (r"kh", "h"),
        (r"ph", "f"),
        (r"w", "v"),
        (r"x", "ks"),
        (r"ck", "k"),
        (r"q", "k"),
        (r"ou", "u"),
        (r"oo", "u"),
        (r"ee", "i"),
        (r"(.)\1+", r"\1"),  # doubled letters: Mohammed -> Mohamed
        (r"y$", "i"),  # final -y/-i: Dmitry = Dmitri
    )
)


@lru_cache(maxsize=262144)
def fold(token: str) -> str:
    """One spelling for the many Latin renderings of the same name part."""
    for pattern, replacement in _FOLDS:
        token = pattern.sub(replacement, token)
    return token


# In an abjad, w/v and y also write the long vowels u/o and i/e (يوسف: ywsf,
# Yusuf; דוד: dwd, David), so they leave the skeleton with the vowels.
_VOWELS = re.compile(r"[aeiouyvw]")


@lru_cache(maxsize=262144)
def consonants(token: str) -> str:
    """The consonant skeleton, which is all an abjad (Arabic, Hebrew) spells out."""
    skeleton = _VOWELS.sub("", fold(token))
    return skeleton or token


# Given names that are one name across languages but that the name
# databases rigour draws on keep apart. Each line is one name.
_GIVEN_NAME_GROUPS: tuple[tuple[str, ...], ...] = (
    (
        "eugene",
        "evgeny",
        "evgeni",
        "eugen",
        "eugenio",
        "eugeniusz",
        "evgenios",
        "yevhen",
        "jevgenij",
    ),
    (
        "alexander",
        "aleksandr",
        "alexandr",
        "oleksandr",
        "aleksander",
        "alexandre",
        "alessandro",
        "alejandro",
        "alexandros",
        "aleksandar",
        "alexandru",
    ),
    ("alexey", "aleksey", "alexei", "aleksei", "oleksiy", "alexis"),
    ("george", "georgy", "georgi", "georgiy", "jorge", "giorgio", "giorgi", "heorhiy"),
    ("nicholas", "nikolai", "nikolay", "nicolas", "mykola", "nicola", "nikola"),
    ("andrew", "andrei", "andrey", "andre", "andreas", "andriy", "andres"),
    ("dmitry", "dmitri", "dimitri", "dimitrios", "dmytro"),
    ("sergei", "sergey", "serge", "sergio", "serhiy"),
    ("vladimir", "volodymyr", "wladimir", "volodimir"),
    ("gregory", "grigory", "grigori", "grigoriy", "hryhoriy"),
    ("paul", "pavel", "pablo", "paolo", "pavlo"),
    ("peter", "pyotr", "petr", "pierre", "pedro", "pietro", "petro"),
    ("michael", "mikhail", "michel", "miguel", "michele", "mykhailo"),
    ("joseph", "iosif", "josef", "jose", "giuseppe", "yosef", "yusuf", "youssef", "yousef"),
    ("theodore", "fyodor", "fedor", "teodor", "theodor"),
    ("stephen", "stepan", "stefan", "esteban", "steven"),
    ("jacob", "yakov", "jakob", "iakov", "yaakov", "yaqub", "yakub"),
    ("catherine", "ekaterina", "katherine", "caterina", "katarzyna"),
    ("helen", "elena", "helena", "olena"),
    ("julia", "yulia", "yuliya", "iuliia"),
    ("natalia", "natalya", "nataliya"),
    ("mary", "maria", "mariya", "marie"),
    ("abraham", "ibrahim", "avraham"),
    ("mohammed", "muhammad", "mohamed", "mohammad", "muhammed", "mehmet", "mohamad", "mohd"),
    ("ahmed", "ahmad", "akhmed"),
    ("hussein", "husayn", "hussain", "husein", "hossein"),
    ("abdullah", "abdallah", "abdulla"),
    ("khaled", "khalid", "halid"),
    ("mahmoud", "mahmud", "mahmood"),
    ("hassan", "hasan"),
    ("omar", "umar"),
    ("osama", "usama"),
)

GIVEN_NAMES: dict[str, str] = {
    fold(name): fold(group[0]) for group in _GIVEN_NAME_GROUPS for name in group
}

# Words that name the kind of organisation, across languages. "Лаборатория
# Касперского" transliterates to "laboratoriya", which is Kaspersky "Lab".
_ORG_WORD_GROUPS: tuple[tuple[str, ...], ...] = (
    (
        "lab",
        "labs",
        "laboratory",
        "laboratories",
        "laboratoriya",
        "laboratorija",
        "labor",
        "laboratorio",
        "laboratoire",
    ),
    ("bank", "banka", "banque", "banco", "bankasi"),
    ("company", "kompaniya", "compania", "compagnie", "companhia"),
    ("group", "gruppa", "grupo", "groupe", "gruppe"),
    ("center", "centre", "tsentr", "centro", "zentrum"),
    ("institute", "institut", "instituto", "istituto"),
    ("university", "universitet", "universidad", "universite", "universitat"),
    ("trading", "trade", "torgovy", "torgovyi"),
    ("international", "mezhdunarodny", "internacional", "internationale"),
    ("agency", "agentstvo", "agencia", "agence", "agentur"),
    ("service", "services", "servis", "servicios"),
    ("industry", "industries", "industriya", "industrial"),
    ("holding", "holdings", "holding"),
    ("television", "televidenie", "tv"),
    ("news", "novosti"),
    ("ministry", "ministerstvo", "ministerio", "ministere"),
    ("corporation", "corp", "korporatsiya", "corporacion"),
    ("incorporated", "inc"),
    ("limited", "ltd"),
    ("department", "dept"),
    ("national", "natl", "natsionalny", "nacional"),
    ("association", "assn", "assoc"),
    ("manufacturing", "mfg"),
    ("brothers", "bros"),
    ("enterprise", "enterprises"),
)

# Words that say what kind of body an organisation is rather than which one:
# two companies that share only these share nothing.
GENERIC_ORG_WORDS = frozenset(
    fold(word)
    for word in (
        "company", "corporation", "incorporated", "limited", "group", "holding", "international",
        "trading", "enterprise", "industry", "service", "co", "and", "general", "global",
    )
)  # fmt: skip

ORG_WORDS: dict[str, str] = {
    fold(word): fold(group[0]) for group in _ORG_WORD_GROUPS for word in group
}
