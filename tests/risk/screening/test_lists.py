"""List files: our watchlist CSV, OFAC's sdn.csv and the UN consolidated list XML (hand-made samples
in the official shapes, never real lists), and the errors that name the line."""

from __future__ import annotations

import pytest

from clearway.risk.screening.lists import (
    ListFormatError,
    WatchEntry,
    read_ofac_sdn_csv,
    read_un_consolidated_xml,
    read_watchlist_csv,
    reorder_individual,
)

WATCHLIST = """\ufefflist,entry_id,kind,value,country,program
NL-WATCH,W1,party,Horizon Example Trading Ltd,cn,counterfeits
NL-WATCH,W1,party,Horizon Example Co,,
NL-WATCH,W2,address,"12 Example Road, Shenzhen",CN,

NL-WATCH,W3,phone,+86 138 0000 0000,,
NL-WATCH,W4,email,sales@horizon.example,,
NL-WATCH,W5,transport_document,XX123456789CN,,
"""


def test_read_watchlist_csv() -> None:
    entries = read_watchlist_csv(WATCHLIST)
    assert [e.kind for e in entries] == ["party", "party", "address", "phone", "email", "transport_document"]
    assert entries[0] == WatchEntry(
        list_name="NL-WATCH",
        entry_id="W1",
        kind="party",
        value="Horizon Example Trading Ltd",
        country="CN",
        program="counterfeits",
    )
    assert entries[1].country is None and entries[1].program is None
    assert entries[2].value == "12 Example Road, Shenzhen"


def test_watchlist_csv_optional_columns_may_be_left_out() -> None:
    entries = read_watchlist_csv("kind,value,entry_id,list\nemail,a@b.example,E1,L\n")
    assert entries == [WatchEntry(list_name="L", entry_id="E1", kind="email", value="a@b.example")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file: expected the header list,entry_id,kind,value,country,program"),
        ("list,entry_id,kind,valeu\n", "line 1: unknown column 'valeu' in the header"),
        ("list,entry_id,kind\n", "line 1: missing column 'value' in the header"),
        ("list,list,entry_id,kind,value\n", "line 1: a column appears twice in the header"),
        ("list,entry_id,kind,value\nL,1,party,A\nL,2,vessel,B\n", "line 3: kind 'vessel' is not one of party, address"),
        ("list,entry_id,kind,value\nL,1,party,A\n\nL,2,party\n", "line 4: expected 4 fields, got 3"),
        ("list,entry_id,kind,value\nL,,party,A\n", "line 2: entry_id is empty"),
        ("list,entry_id,kind,value,country\nL,1,party,A,China\n", "line 2: country 'China' is not an ISO 3166"),
        ('list,entry_id,kind,value\nL,1,party,"A\n', "line 2: not CSV"),
    ],
)
def test_watchlist_csv_errors_name_the_line(text: str, message: str) -> None:
    with pytest.raises(ListFormatError) as raised:
        read_watchlist_csv(text)
    assert str(raised.value).startswith(message)


# sdn.csv: no header, twelve columns, -0- for empty, a DOS end-of-file mark on the last line.
SDN = (
    '101,"EXAMPLEV, Ivan Petrovich","individual","SDGT] [IFSR",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"DOB 1970."\r\n'
    '102,"HORIZON EXAMPLE TRADING CO., LTD.",-0- ,"RUSSIA-EO14024",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
    '103,"EXAMPLE STAR",vessel,"IRAN",-0- ,"9XYZ1","Crude Oil Tanker","","",-0- ,-0- ,"IMO 0000000."\r\n'
    "\x1a\r\n"
)


def test_read_ofac_sdn_csv() -> None:
    entries = read_ofac_sdn_csv(SDN)
    assert [(e.entry_id, e.value, e.program) for e in entries] == [
        ("101", "EXAMPLEV, Ivan Petrovich", "SDGT; IFSR"),
        ("101", "Ivan Petrovich EXAMPLEV", "SDGT; IFSR"),  # individuals are also kept as "First LAST"
        ("102", "HORIZON EXAMPLE TRADING CO., LTD.", "RUSSIA-EO14024"),  # entities are not reordered
    ]  # the vessel is skipped
    assert {(e.list_name, e.kind, e.country) for e in entries} == {("OFAC-SDN", "party", None)}
    assert read_ofac_sdn_csv(SDN, list_name="SDN-2026-11")[0].list_name == "SDN-2026-11"


def test_reorder_individual() -> None:
    assert reorder_individual("AL-EXAMPLE, Abu Ahmad") == "Abu Ahmad AL-EXAMPLE"
    assert reorder_individual("NO COMMA") is None
    assert reorder_individual("TRAILING,") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ent_num,SDN_Name,SDN_Type,Program,Title,Call_Sign,Vess_type,Tonnage,GRT,Vess_flag,Vess_owner,Remarks\n",
         "line 1: ent_num 'ent_num' is not a number (sdn.csv has no header row)"),
        ('101,"A, B",individual,X,-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-\n102,"C",-0-,X,-0-\n',
         "line 2: expected 12 fields (ent_num, SDN_Name"),
        ("101,-0-,individual,X,-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-\n", "line 1: entry 101 has no SDN_Name"),
    ],
)  # fmt: skip
def test_ofac_errors_name_the_line(text: str, message: str) -> None:
    with pytest.raises(ListFormatError) as raised:
        read_ofac_sdn_csv(text)
    assert str(raised.value).startswith(message)


UN = """<?xml version="1.0" encoding="UTF-8"?>
<CONSOLIDATED_LIST xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" dateGenerated="2026-11-01T00:00:00">
  <INDIVIDUALS>
    <INDIVIDUAL>
      <DATAID>6900001</DATAID>
      <VERSIONNUM>1</VERSIONNUM>
      <FIRST_NAME>ABDUL</FIRST_NAME>
      <SECOND_NAME>EXAMPLE</SECOND_NAME>
      <THIRD_NAME>AL-SAMPLE</THIRD_NAME>
      <UN_LIST_TYPE>Al-Qaida</UN_LIST_TYPE>
      <REFERENCE_NUMBER>QDi.999</REFERENCE_NUMBER>
      <NAME_ORIGINAL_SCRIPT>عبد المثال</NAME_ORIGINAL_SCRIPT>
      <INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>Abu Example</ALIAS_NAME></INDIVIDUAL_ALIAS>
      <INDIVIDUAL_ALIAS><QUALITY>Low</QUALITY><ALIAS_NAME>ABDUL EXAMPLE AL-SAMPLE</ALIAS_NAME></INDIVIDUAL_ALIAS>
      <INDIVIDUAL_ALIAS><QUALITY/><ALIAS_NAME/></INDIVIDUAL_ALIAS>
    </INDIVIDUAL>
  </INDIVIDUALS>
  <ENTITIES>
    <ENTITY>
      <DATAID>6900002</DATAID>
      <FIRST_NAME>EXAMPLE  RELIEF
        FOUNDATION</FIRST_NAME>
      <UN_LIST_TYPE>DPRK</UN_LIST_TYPE>
      <ENTITY_ALIAS><QUALITY>a.k.a.</QUALITY><ALIAS_NAME>Sample Relief Fund</ALIAS_NAME></ENTITY_ALIAS>
    </ENTITY>
  </ENTITIES>
</CONSOLIDATED_LIST>
"""


def test_read_un_consolidated_xml() -> None:
    entries = read_un_consolidated_xml(UN)
    assert [(e.entry_id, e.value, e.program) for e in entries] == [
        ("6900001", "ABDUL EXAMPLE AL-SAMPLE", "Al-Qaida"),
        ("6900001", "عبد المثال", "Al-Qaida"),  # the original script is kept as one more name
        ("6900001", "Abu Example", "Al-Qaida"),  # the alias repeating the name and the empty one are dropped
        ("6900002", "EXAMPLE RELIEF FOUNDATION", "DPRK"),  # spaces and line breaks collapsed
        ("6900002", "Sample Relief Fund", "DPRK"),
    ]
    assert {(e.list_name, e.kind) for e in entries} == {("UN-SC", "party")}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "aaaa">]>\n<CONSOLIDATED_LIST/>',
         "line 2: DOCTYPE and ENTITY declarations are refused"),
        ("<CONSOLIDATED_LIST>\n<INDIVIDUALS>\n</CONSOLIDATED_LIST>", "line 3: not well-formed XML: mismatched tag"),
        ("<SANCTIONS/>", "line 1: the root element is SANCTIONS, expected CONSOLIDATED_LIST"),
        ("<CONSOLIDATED_LIST>\n<ENTITIES>\n\n<ENTITY><FIRST_NAME>X</FIRST_NAME></ENTITY></ENTITIES></CONSOLIDATED_LIST>",
         "line 4: ENTITY without DATAID"),
        ("<CONSOLIDATED_LIST><INDIVIDUALS>\n<INDIVIDUAL><DATAID>7</DATAID></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>",
         "line 2: INDIVIDUAL 7 has no name (FIRST_NAME)"),
    ],
)  # fmt: skip
def test_un_errors_name_the_line(text: str, message: str) -> None:
    with pytest.raises(ListFormatError) as raised:
        read_un_consolidated_xml(text)
    assert str(raised.value).startswith(message)
    assert raised.value.line is not None


def test_entity_expansion_is_refused_before_it_happens() -> None:
    laughs = (
        '<?xml version="1.0"?>\n<!DOCTYPE l [\n<!ENTITY a "'
        + "x" * 10
        + '">\n]>\n<CONSOLIDATED_LIST>&a;</CONSOLIDATED_LIST>'
    )
    with pytest.raises(ListFormatError, match="refused"):
        read_un_consolidated_xml(laughs)
