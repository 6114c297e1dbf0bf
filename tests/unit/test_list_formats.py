"""The list readers against the real published files, broken files, and our own csv format."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from adwarden.domain.enums import EntityType, ListFormat
from adwarden.lists.entries import ListEntry, ListFormatError
from adwarden.lists.formats import read_list, simple_csv
from shared_data import LISTS

SDN = LISTS / "ofac-sdn"
CONSOLIDATED = LISTS / "ofac-consolidated"
UN = LISTS / "un" / "UN_consolidated.xml"
CSL = LISTS / "us-csl" / "csl.csv"
FTM = LISTS / "ftm"


def by_id(entries: list[ListEntry]) -> dict[str, ListEntry]:
    return {entry.entry_id: entry for entry in entries}


def csv_records(path: Path) -> list[list[str]]:
    """The file's records as the csv module sees them, less OFAC's end-of-file mark."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [row for row in csv.reader(handle) if row and row != ["\x1a"]]


def expect_error(path: Path, fmt: ListFormat, line: int | None, *words: str) -> ListFormatError:
    with pytest.raises(ListFormatError) as caught:
        read_list(path, fmt)
    error = caught.value
    message = str(error)
    assert error.line == line, message
    assert message.startswith(f"{error.path}:{line}:" if line else f"{error.path}:"), message
    for word in words:
        assert word in message, message
    return error


# --- the real files ---------------------------------------------------------------


@pytest.fixture(scope="module")
def sdn() -> dict[str, ListEntry]:
    return by_id(read_list(SDN, ListFormat.ofac_csv))


@pytest.fixture(scope="module")
def consolidated() -> dict[str, ListEntry]:
    return by_id(read_list(CONSOLIDATED, ListFormat.ofac_csv))


@pytest.fixture(scope="module")
def un() -> dict[str, ListEntry]:
    return by_id(read_list(UN, ListFormat.un_xml))


@pytest.fixture(scope="module")
def csl() -> dict[str, ListEntry]:
    return by_id(read_list(CSL, ListFormat.csl_csv))


def test_sdn_has_every_row_alias_and_type_of_its_files(sdn: dict[str, ListEntry]) -> None:
    rows = csv_records(SDN / "sdn.csv")
    assert len(rows) == len(sdn) == 7379
    assert list(sdn) == [row[0] for row in rows]  # file order
    aliases = csv_records(SDN / "alt.csv")
    assert sum(len(entry.aliases) for entry in sdn.values()) == len(aliases) == 9682
    published = Counter(row[2].strip() for row in rows)
    read = Counter(entry.entity_type for entry in sdn.values())
    assert read[EntityType.person] == published["individual"]
    assert read[EntityType.vessel] == published["vessel"]
    assert read[EntityType.aircraft] == published["aircraft"]
    assert read[EntityType.organization] == published["-0-"]


def test_sdn_person_with_birth_date_and_nationality(sdn: dict[str, ListEntry]) -> None:
    kadyrov = sdn["23343"]
    assert kadyrov.name == "KADYROV, Ramzan Akhmatovich"  # as published
    assert kadyrov.entity_type is EntityType.person
    assert kadyrov.aliases == ("KADYROW, Ramzan Achmatowisch",)
    assert kadyrov.birth_dates == ("1976-10-05",)
    assert kadyrov.countries == ("RU",)
    assert kadyrov.programs == ("MAGNIT",)
    assert kadyrov.line == 6239
    assert kadyrov.notes is not None
    assert kadyrov.notes.startswith("DOB 05 Oct 1976; POB Tsentoroi")


def test_sdn_remarks_dates_ranges_and_programs(sdn: dict[str, ListEntry]) -> None:
    nasrallah = sdn["2686"]
    assert nasrallah.birth_dates == ("1960-08-31", "1953-08-31", "1955-08-31", "1958-08-31")
    assert nasrallah.programs == ("SDGT", "SDT", "SYRIA")
    assert sdn["18528"].birth_dates == ("1961", "1962", "1963")  # 01 Jan 1961 to 31 Dec 1963
    assert sdn["11748"].birth_dates == ("1979", "1980", "1981", "1982")  # circa 1979-1982
    assert sdn["11748"].countries == ("SO",)
    assert sdn["22790"].countries == ("VE",)  # "citizen Venezuela"


def test_sdn_vessel_aircraft_and_entity(sdn: dict[str, ListEntry]) -> None:
    ship = sdn["4243"]
    assert (ship.name, ship.entity_type, ship.aliases) == (
        "SAND SWAN",
        EntityType.vessel,
        ("ANA I",),
    )
    assert ship.countries == ("CY",)  # its flag
    assert sdn["15431"].entity_type is EntityType.aircraft
    bank = sdn["306"]
    assert bank.entity_type is EntityType.organization
    assert bank.aliases == ("NATIONAL BANK OF CUBA",)
    assert {"CH", "ES", "JP"} <= set(bank.countries)  # from its addresses
    assert bank.birth_dates == ()


def test_sdn_remarks_go_on_in_the_comments_file(sdn: dict[str, ListEntry]) -> None:
    notes = sdn["12300"].notes
    assert notes is not None
    assert "Linked To: PROMO RAIZ S.A.S.; Linked To: RED MUNDIAL" in notes
    assert notes.endswith("Linked To: R D I S.A.")


def test_consolidated_list(consolidated: dict[str, ListEntry]) -> None:
    rows = csv_records(CONSOLIDATED / "cons_prim.csv")
    # SOURCES counts 443 lines; the last is only OFAC's end-of-file mark
    assert len(consolidated) == len(rows) == 442
    aliases = csv_records(CONSOLIDATED / "cons_alt.csv")
    assert sum(len(entry.aliases) for entry in consolidated.values()) == len(aliases)
    notes = consolidated["17254"].notes
    assert notes is not None
    assert "(Russia); Government Gazette Number 00044463" in notes  # space kept at the seam
    martelly = consolidated["50476"]
    assert martelly.birth_dates == ("1961-02-12",)
    assert martelly.countries[0] == "HT"


def test_un_list_counts(un: dict[str, ListEntry]) -> None:
    text = UN.read_text(encoding="utf-8")
    kinds = Counter(entry.entity_type for entry in un.values())
    assert kinds[EntityType.person] == text.count("<INDIVIDUAL>") == 730
    assert kinds[EntityType.organization] == text.count("<ENTITY>") == 273
    assert len(un) == text.count("<DATAID>")


def test_un_individual_with_original_script(un: dict[str, ListEntry]) -> None:
    saddam = un["6908048"]
    assert saddam.name == "SADDAM HUSSEIN AL-TIKRITI"
    assert saddam.aliases[0] == "صدام حسين التكريتي"
    assert saddam.birth_dates == ("1937-04-28",)
    assert saddam.countries == ("IQ",)
    assert saddam.programs == ("Iraq",)
    assert saddam.listed_on == "2003-06-27"
    badege = un["6907993"]
    assert (badege.name, badege.birth_dates, badege.line) == ("ERIC BADEGE", ("1971",), 4)
    assert un["6908021"].birth_dates == ("1973", "1974")  # BETWEEN 1973 and 1974


def test_un_entity_with_aliases(un: dict[str, ListEntry]) -> None:
    adf = un["6908402"]
    assert adf.entity_type is EntityType.organization
    assert adf.name == "ADF"
    assert adf.aliases == (
        "Allied Democratic Forces",
        "Forces Démocratiques Alliées-Armée Nationale de Libération de l\u2019Ouganda",
        "ADF/NALU",
        "NALU",
    )
    assert adf.countries == ("CD",)
    assert adf.notes is not None
    assert adf.notes.startswith("ADF founder and leader")


def test_csl(csl: dict[str, ListEntry]) -> None:
    with CSL.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    # SOURCES says 116 rows: that counts the header
    assert len(csl) == len(rows) == 115
    kinds = Counter(entry.entity_type for entry in csl.values())
    assert kinds[EntityType.person] == sum(row["type"] == "Individual" for row in rows)
    assert kinds[EntityType.unknown] == sum(row["type"] == "" for row in rows)
    canada = csl["SDN-8124"]
    assert canada.name == "2904977 CANADA, INC."
    assert canada.aliases == ("CARIBE SOL", "HAVANTUR CANADA INC.")
    assert canada.countries == ("CA",)
    assert canada.programs == ("CUBA",)
    assert canada.source_url == "http://bit.ly/1I7ipyR"
    assert csl["SDN-10727"].birth_dates == ("1974", "1975")
    assert csl["SDN-18447"].countries == ("DZ",)
    assert csl["PLC-9652"].entity_type is EntityType.person


@pytest.mark.parametrize("name", ["t1_entities.ftm.json", "zala_entities.ftm.json"])
def test_ftm_reads_every_named_party(name: str) -> None:
    path = FTM / name
    parties = {"Person", "Organization", "Company", "LegalEntity", "PublicBody", "Vessel"}
    expected = [
        data["id"]
        for line in path.read_text(encoding="utf-8").splitlines()
        if (data := json.loads(line))["schema"] in parties and data["properties"].get("name")
    ]
    assert [entry.entry_id for entry in read_list(path, ListFormat.ftm)] == expected


def test_ftm_person() -> None:
    entries = by_id(read_list(FTM / "zala_entities.ftm.json", ListFormat.ftm))
    person = entries["NK-2Tbri3s6GgNtAwsSXh4qpL"]
    assert person.entity_type is EntityType.person
    assert person.name == "OSETROVA, Maria Aleksandrovna"
    assert "Mariya ZAKHAROVA" in person.aliases
    assert "Maria Aleksandrovna Zakharova" in person.aliases  # a previousName
    assert person.name not in person.aliases
    assert len(set(person.aliases)) == len(person.aliases)
    assert person.countries == ("RU",)
    assert person.birth_dates == ("1988-01-07",)
    assert person.programs == ("UA-SA1644", "US-RUSHAR", "GB-RUS")
    assert person.source_url is not None
    assert person.line == 1
    company = entries["NK-abdzbEBkqyT29GyREbiURZ"]
    assert company.entity_type is EntityType.organization
    assert "ZALA AERO GROUP—Unmanned Systems" in company.aliases


# --- broken files -------------------------------------------------------------------

SDN_ROW = '{},"DOE, John","individual","SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"DOB 1960."\n'


def sdn_folder(tmp_path: Path, *ent_nums: str) -> Path:
    folder = tmp_path / "sdn"
    folder.mkdir()
    (folder / "sdn.csv").write_text("".join(SDN_ROW.format(n) for n in ent_nums), encoding="utf-8")
    return folder


def test_ofac_folder_problems(tmp_path: Path) -> None:
    expect_error(tmp_path / "missing", ListFormat.ofac_csv, None, "no such folder")
    (tmp_path / "file.csv").write_text("", encoding="utf-8")
    expect_error(tmp_path / "file.csv", ListFormat.ofac_csv, None, "is not a folder")
    expect_error(tmp_path, ListFormat.ofac_csv, None, "holds neither sdn.csv nor cons_prim.csv")
    (tmp_path / "sdn.csv").write_text("", encoding="utf-8")
    (tmp_path / "cons_prim.csv").write_text("", encoding="utf-8")
    expect_error(tmp_path, ListFormat.ofac_csv, None, "holds both sdn.csv and cons_prim.csv")


def test_ofac_bad_rows(tmp_path: Path) -> None:
    folder = sdn_folder(tmp_path, "1", "2")
    sdn = folder / "sdn.csv"
    with sdn.open("a", encoding="utf-8") as handle:
        handle.write('3,"SHORT"\n')
    error = expect_error(folder, ListFormat.ofac_csv, 3, "has 2 columns, expected 12")
    assert error.path == sdn

    sdn.write_text(SDN_ROW.format(1) + SDN_ROW.format("x7"), encoding="utf-8")
    expect_error(folder, ListFormat.ofac_csv, 2, "sdn.csv", "ent_num 'x7' is not a number")

    sdn.write_text(SDN_ROW.format(1) + SDN_ROW.format(1), encoding="utf-8")
    expect_error(folder, ListFormat.ofac_csv, 2, "ent_num 1 is already used on line 1")

    sdn.write_text(SDN_ROW.format(1).replace("individual", "ship"), encoding="utf-8")
    expect_error(folder, ListFormat.ofac_csv, 1, "SDN_Type 'ship'")

    sdn.write_bytes(
        SDN_ROW.format(1).encode() + SDN_ROW.format(2).encode().replace(b"DOE", b"D\xf6E")
    )
    expect_error(folder, ListFormat.ofac_csv, 2, "is not UTF-8")


def test_ofac_alias_of_unknown_entry(tmp_path: Path) -> None:
    folder = sdn_folder(tmp_path, "1", "2")
    (folder / "alt.csv").write_text(
        '1,10,"aka","DOE, Johnny",-0- \n9,11,"aka","ROE, Richard",-0- \n', encoding="utf-8"
    )
    error = expect_error(folder, ListFormat.ofac_csv, 2, "alt.csv", "ent_num 9 is not in sdn.csv")
    assert error.path == folder / "alt.csv"
    (folder / "alt.csv").write_text('1,10,"aka"\n', encoding="utf-8")
    expect_error(folder, ListFormat.ofac_csv, 1, "alt.csv", "has 3 columns, expected 5")


def test_ofac_line_numbers_count_quoted_newlines(tmp_path: Path) -> None:
    folder = sdn_folder(tmp_path, "1")
    with (folder / "sdn.csv").open("a", encoding="utf-8") as handle:
        handle.write(SDN_ROW.format(2).replace("DOB 1960.", "two\nlines"))
        handle.write(SDN_ROW.format(3))
    entries = read_list(folder, ListFormat.ofac_csv)
    assert [entry.line for entry in entries] == [1, 2, 4]
    assert entries[0].birth_dates == ("1960",)


UN_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'


def un_file(tmp_path: Path, body: str, head: str = UN_HEAD) -> Path:
    path = tmp_path / "un.xml"
    path.write_text(head + body, encoding="utf-8")
    return path


def un_person(data_id: str, name: str = "<FIRST_NAME>JOHN</FIRST_NAME>") -> str:
    return f"<INDIVIDUAL>\n<DATAID>{data_id}</DATAID>\n{name}\n</INDIVIDUAL>\n"


def test_un_broken_files(tmp_path: Path) -> None:
    expect_error(tmp_path / "none.xml", ListFormat.un_xml, None, "no such file")
    path = un_file(tmp_path, "<CONSOLIDATED_LIST>\n<INDIVIDUALS>\n</ENTITIES>\n")
    expect_error(path, ListFormat.un_xml, 4, "is not well-formed XML", "ENTITIES")
    path = un_file(tmp_path, "<LIST/>\n")
    expect_error(path, ListFormat.un_xml, 2, "root element is <LIST>")
    body = "<CONSOLIDATED_LIST>\n<INDIVIDUALS>\n{}</INDIVIDUALS>\n</CONSOLIDATED_LIST>\n"
    path = un_file(tmp_path, body.format(un_person("1") + un_person("")))
    expect_error(path, ListFormat.un_xml, 8, "INDIVIDUAL has no DATAID")
    path = un_file(tmp_path, body.format(un_person("1", "")))
    expect_error(path, ListFormat.un_xml, 4, "INDIVIDUAL 1 has no FIRST_NAME")
    path = un_file(tmp_path, body.format(un_person("1") + un_person("1")))
    expect_error(path, ListFormat.un_xml, 8, "id '1' is already used on line 4")


def test_un_does_not_resolve_external_entities(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET", encoding="utf-8")
    head = f'{UN_HEAD}<!DOCTYPE CONSOLIDATED_LIST [<!ENTITY leak SYSTEM "file://{secret}">]>\n'
    body = "<CONSOLIDATED_LIST>\n<INDIVIDUALS>\n{}</INDIVIDUALS>\n</CONSOLIDATED_LIST>\n"
    path = un_file(tmp_path, body.format(un_person("1", "<FIRST_NAME>A&leak;</FIRST_NAME>")), head)
    entries = read_list(path, ListFormat.un_xml)
    assert "SECRET" not in entries[0].name


def test_ftm_broken_lines(tmp_path: Path) -> None:
    path = tmp_path / "entities.json"
    person = {"id": "p1", "schema": "Person", "properties": {"name": ["Jane Roe"]}}
    lines = [json.dumps(person), '{"id": "p2", "schema": "Person", "properties": {']
    path.write_text("\n".join(lines), encoding="utf-8")
    expect_error(path, ListFormat.ftm, 2, "is not valid JSON")
    lines[1] = json.dumps({"id": "x", "schema": "Spaceship", "properties": {}})
    path.write_text("\n".join(lines), encoding="utf-8")
    expect_error(path, ListFormat.ftm, 2, "unknown schema 'Spaceship'")
    lines[1] = json.dumps({"id": "x", "schema": "Person", "properties": {"name": "Jo"}})
    path.write_text("\n".join(lines), encoding="utf-8")
    expect_error(path, ListFormat.ftm, 2, "lists of strings")
    path.write_text("\n".join([lines[0], "", lines[0]]), encoding="utf-8")
    expect_error(path, ListFormat.ftm, 3, "id 'p1' is already used on line 1")


def test_ftm_skips_what_is_not_a_party(tmp_path: Path) -> None:
    path = tmp_path / "entities.json"
    lines = [
        {"id": "s1", "schema": "Sanction", "properties": {"entity": ["p1"]}},
        {"id": "a1", "schema": "Address", "properties": {"full": ["1 Main St"]}},
        {"id": "p0", "schema": "Person", "properties": {"birthDate": ["1970"]}},
        {
            "id": "v1",
            "schema": "Vessel",
            "properties": {"name": ["SEA STAR"], "country": ["pa", "ua-cri", "zz"]},
        },
        {"id": "f1", "schema": "Airplane", "properties": {"name": ["EP-ABC"]}},
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    vessel, plane = read_list(path, ListFormat.ftm)
    assert (vessel.entity_type, vessel.line, vessel.countries) == (EntityType.vessel, 4, ("PA",))
    assert (plane.entity_type, plane.line) == (EntityType.aircraft, 5)


CSL_HEADER = "_id,source,type,name,alt_names,programs,dates_of_birth,addresses\n"


def test_csl_broken_files(tmp_path: Path) -> None:
    path = tmp_path / "csl.csv"
    path.write_text(CSL_HEADER + "a1,SDN,Individual,Jo Roe,,,1960,\n", encoding="utf-8")
    assert read_list(path, ListFormat.csl_csv)[0].entry_id == "a1"  # the _id column
    path.write_text(CSL_HEADER + "a1,SDN,Individual,Jo Roe\n", encoding="utf-8")
    expect_error(path, ListFormat.csl_csv, 2, "has 4 columns, the header has 8")
    path.write_text(CSL_HEADER + "a1,SDN,Company,Jo Roe,,,,\n", encoding="utf-8")
    expect_error(path, ListFormat.csl_csv, 2, "type 'Company'")
    path.write_text(
        CSL_HEADER + "a1,SDN,Entity,Acme,,,,\na1,SDN,Entity,Acme 2,,,,\n", encoding="utf-8"
    )
    expect_error(path, ListFormat.csl_csv, 3, "id 'a1' is already used on line 2")
    path.write_text("_id,title\na1,Dr\n", encoding="utf-8")
    expect_error(path, ListFormat.csl_csv, 1, "no name column")
    path.write_text(CSL_HEADER + 'a1,SDN,Entity,"Acme\n', encoding="utf-8")
    expect_error(path, ListFormat.csl_csv, 2, "bad CSV")


# --- our own csv format -----------------------------------------------------------

HEADER = "id,name,type,aliases,country,program,source_url,listed_on,notes\n"


def write(tmp_path: Path, text: str, name: str = "lists.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_reads_every_column(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER
        + 'w1,Jane Example,person,J. Example; Janey ,gb;US,P1;P2,https://example.org/w1,2024-05-01,"two\nlines"\n'
        + "w2,Acme Widgets Ltd,,,,,,,\n",
    )
    jane, acme = read_list(path, ListFormat.csv)
    assert jane == ListEntry(
        entry_id="w1",
        entity_type=EntityType.person,
        name="Jane Example",
        aliases=("J. Example", "Janey"),
        countries=("GB", "US"),
        programs=("P1", "P2"),
        source_url="https://example.org/w1",
        listed_on="2024-05-01",
        notes="two\nlines",
    )
    assert (jane.line, acme.line) == (2, 4)
    assert acme.entity_type is EntityType.organization


def test_csv_needs_only_id_and_name_and_takes_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "lists.csv"
    path.write_bytes("\ufeffname,id\nZed Fictional,z1\n".encode())
    (entry,) = read_list(path, ListFormat.csv)
    assert (entry.entry_id, entry.name, entry.aliases) == ("z1", "Zed Fictional", ())


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        (
            HEADER + "w1,Acme,company,,,,,,\n",
            2,
            "type 'company' is not one of person, organization, vessel, aircraft",
        ),
        (HEADER + "w1,Acme,,,GB;XX,,,,\n", 2, "country 'XX' is not an ISO 3166-1 alpha-2"),
        (HEADER + "w1,Acme,,,Germany,,,,\n", 2, "country 'Germany'"),
        (HEADER + "w1,Acme,,,,,,2024-13-01,\n", 2, "listed_on '2024-13-01' is not a date"),
        (HEADER + "w1,Acme,,,,,,01.05.2024,\n", 2, "listed_on '01.05.2024'"),
        (HEADER + "w1,Acme,,,,,ftp://x.org/a,,\n", 2, "source_url 'ftp://x.org/a'"),
        (HEADER + "w1,,,,,,,,\n", 2, "name is empty"),
        (HEADER + "w1,Acme,,,,,,,\n,Beta,,,,,,,\n", 3, "id is empty"),
        (HEADER + "w1,Acme\n", 2, "has 2 columns, the header has 9"),
        (HEADER + "w1,Acme,,,,,,,\nw1,Beta,,,,,,,\n", 3, "id 'w1' is already used on line 2"),
        ("id,name,contry\nw1,Acme,DE\n", 1, "unknown column(s) 'contry'"),
        ("id,title\nw1,Acme\n", 1, "unknown column(s) 'title'"),
        ("id,notes\nw1,Acme\n", 1, "header lacks the column(s) name"),
        ("id,name,name\nw1,Acme,Beta\n", 1, "column(s) name appear twice"),
    ],
)
def test_csv_bad_values(tmp_path: Path, text: str, line: int, problem: str) -> None:
    path = write(tmp_path, text)
    error = expect_error(path, ListFormat.csv, line, problem)
    assert str(error) == f"{path}:{line}: {error.problem}"


def test_csv_bad_files(tmp_path: Path) -> None:
    expect_error(tmp_path / "none.csv", ListFormat.csv, None, "no such file")
    expect_error(tmp_path, ListFormat.csv, None, "is not a file")
    expect_error(write(tmp_path, ""), ListFormat.csv, None, "is empty", "header")
    path = tmp_path / "latin1.csv"
    path.write_bytes(HEADER.encode() + "w1,Müller GmbH,,,,,,,\n".encode("latin-1"))
    expect_error(path, ListFormat.csv, 2, "latin1.csv", "is not UTF-8")


def test_csv_round_trip(tmp_path: Path) -> None:
    entries = [
        ListEntry(
            entry_id="w1",
            entity_type=EntityType.person,
            name='Jane "JJ" Example',
            aliases=("J. Example", "Джейн Экзампл"),
            countries=("GB", "US"),
            programs=("P1",),
            source_url="https://example.org/w1",
            listed_on="2024-05-01",
            notes="first line\nsecond, with a comma",
        ),
        ListEntry(entry_id="w2", entity_type=EntityType.vessel, name="MV Fictional Star"),
        ListEntry(entry_id="w3", entity_type=EntityType.organization, name="Acme, Widgets & Co"),
    ]
    path = tmp_path / "out.csv"
    simple_csv.write(path, entries)
    again = read_list(path, ListFormat.csv)
    assert again == entries
    assert [entry.line for entry in again] == [2, 4, 5]
    simple_csv.write(path, again)
    assert read_list(path, ListFormat.csv) == entries


def test_the_readme_example_reads(tmp_path: Path) -> None:
    readme = Path(__file__).resolve().parents[2] / "README.md"
    section = readme.read_text(encoding="utf-8").split("## List file format (csv)", 1)[1]
    example = section.split("```csv\n", 1)[1].split("```", 1)[0]
    entries = read_list(write(tmp_path, example), ListFormat.csv)
    assert [entry.entity_type for entry in entries] == [
        EntityType.person,
        EntityType.organization,
        EntityType.vessel,
    ]


def test_csv_write_refuses_what_it_cannot_hold(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    born = ListEntry(entry_id="w1", entity_type=EntityType.person, name="A", birth_dates=("1960",))
    with pytest.raises(ValueError, match="birth dates"):
        simple_csv.write(path, [born])
    split = ListEntry(entry_id="w1", entity_type=EntityType.person, name="A", aliases=("B;C",))
    with pytest.raises(ValueError, match="would split"):
        simple_csv.write(path, [split])
