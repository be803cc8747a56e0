"""The envelope layer: structure, control numbers and counts as located findings."""

from __future__ import annotations

from gateway.x12.envelope import read_intake, same_number
from gateway.x12.text import FileKind
from tests.x12.x12text import group, interchange, simple, transaction


def codes(data: bytes) -> list[str]:
    intake = read_intake(data)
    found = list(intake.findings)
    for ic in intake.interchanges:
        found.extend(ic.all_findings())
    return [str(x.x12) for x in found if x.is_error and x.x12]


def test_a_correct_interchange_has_no_findings() -> None:
    intake = read_intake(simple())
    assert intake.kind is FileKind.X12
    [ic] = intake.interchanges
    [g] = ic.groups
    [ts] = g.sets
    assert (g.functional_id, g.control, g.version) == ("QM", "1", "004010")
    assert (ts.set_id, ts.control, ts.segment_count) == ("214", "0001", 8)
    assert list(ic.all_findings()) == []


def test_iea02_mismatch_is_ta1_001() -> None:
    assert codes(simple(iea_control="000000002")) == ["TA105 001"]


def test_iea01_count_is_ta1_021() -> None:
    assert codes(simple(iea_count=2)) == ["TA105 021"]


def test_missing_iea_is_ta1_023() -> None:
    text = interchange([group([transaction()])]).rsplit("IEA", 1)[0]
    assert codes(text.encode()) == ["TA105 023"]


def test_duplicate_isa13_in_one_file_is_ta1_025() -> None:
    assert codes(simple() + b"\n" + simple()) == ["TA105 025"]


def test_ge02_and_ge01_map_to_ak905_4_and_5() -> None:
    data = interchange([group([transaction()], ge_count=2, ge_control="9")]).encode()
    assert sorted(codes(data)) == ["AK905 4", "AK905 5"]


def test_missing_ge_is_ak905_3() -> None:
    text = interchange([group([transaction()])[:-1]])
    assert codes(text.encode()) == ["AK905 3"]


def test_se01_and_se02_map_to_ak502_4_and_3() -> None:
    assert codes(interchange([group([transaction(se_count=99)])]).encode()) == ["AK502 4"]
    assert codes(interchange([group([transaction(se_control="0002")])]).encode()) == ["AK502 3"]


def test_missing_se_is_ak502_2_and_the_group_still_closes() -> None:
    ts = transaction()[:-1]
    intake = read_intake(interchange([group([ts, transaction(control="0002")])]).encode())
    [g] = intake.interchanges[0].groups
    assert len(g.sets) == 2
    assert [str(x.x12) for x in g.sets[0].findings] == ["AK502 2"]
    assert g.sets[1].findings == []


def test_duplicate_st02_is_ak502_23() -> None:
    data = interchange([group([transaction(), transaction()])]).encode()
    assert codes(data) == ["AK502 23"]


def test_zero_padded_counts_compare_as_numbers() -> None:
    assert same_number("0000000013", 13)
    assert same_number("000001644", "1644")
    assert not same_number("12A", 12)
    assert not same_number(None, 0)


def test_findings_are_located() -> None:
    intake = read_intake(interchange([group([transaction(se_count=99)])]).encode())
    [finding] = intake.interchanges[0].groups[0].sets[0].findings
    loc = finding.location
    assert (loc.isa13, loc.gs06, loc.st02) == ("000000001", "1", "0001")
    assert (loc.segment_tag, loc.segment_position, loc.element_position) == ("SE", 8, 1)
    assert loc.file_segment == 10  # ISA, GS, ST, 6 body segments, SE
    assert (finding.expected, finding.found) == ("8", "99")


def test_bom_crlf_and_indentation_are_cosmetic() -> None:
    text = interchange([group([transaction()])]).replace("~", "~\r\n    ")
    intake = read_intake(b"\xef\xbb\xbf" + text.encode())
    assert codes(b"\xef\xbb\xbf" + text.encode()) == []
    assert intake.interchanges[0].groups[0].sets[0].segment_count == 8
    se = next(intake.set_segments(intake.interchanges[0],
                                  intake.interchanges[0].groups[0].sets[0]))
    assert se[:2] == ["ST", "214"]


def test_several_interchanges_with_different_delimiters() -> None:
    first = interchange([group([transaction()])])
    second = interchange([group([transaction()])], control="000000002")
    second = second.replace("*", "|").replace("~", "\n").replace("|>\n", "|:\n", 1)
    intake = read_intake((first + "\n" + second).encode())
    assert [ic.header.delimiters.element for ic in intake.interchanges] == ["*", "|"]
    assert [ic.header.delimiters.segment for ic in intake.interchanges] == ["~", "\n"]
    assert codes((first + "\n" + second).encode()) == []


def test_ta1_only_interchange_is_read_as_an_acknowledgement() -> None:
    text = interchange([]).replace("IEA*0", "TA1*000000123*240101*1200*R*001~IEA*0")
    intake = read_intake(text.encode())
    [ack] = intake.interchanges[0].ta1s
    assert (ack.acknowledged_control, ack.ack_code, ack.note_code) == ("000000123", "R", "001")
    assert codes(text.encode()) == []


def test_segment_outside_any_set_breaks_the_structure() -> None:
    text = interchange([group([transaction()])]).replace("GE*1", "N1*SH*STRAY~GE*1")
    assert codes(text.encode()) == ["TA105 022"]


def test_fragment_and_non_x12_are_classified() -> None:
    assert read_intake(b"ST*856*0001~BSN*00*1~SE*3*0001~").kind is FileKind.FRAGMENT
    assert read_intake(b"sku,qty\n1,2\n").kind is FileKind.NOT_X12
    assert read_intake(b"").kind is FileKind.NOT_X12
    assert read_intake(b"\xff\xfeI\x00S\x00A\x00").kind is FileKind.NOT_X12


def test_every_prefix_of_a_file_reads_without_raising() -> None:
    data = simple()
    for end in range(len(data)):
        read_intake(data[:end])  # truncated anywhere: findings, never an exception


def test_unicode_digits_are_not_digits() -> None:
    """'¹' passes str.isdigit() but not int(): a partner's byte 0xB9 must not crash anything."""
    data = simple().replace(b"*000000001*0*P*", b"*00000000\xb9*0*P*")
    assert "TA105 018" in codes(data)
    assert not same_number("\u00b9", 1)


def test_line_numbers_count_line_breaks_before_the_offset() -> None:
    source = read_intake(b"ISA*x\nGS\n\nST*1~SE").source
    expected = [source.text.count("\n", 0, offset) + 1 for offset in range(len(source.text) + 1)]
    assert [source.line_of(offset) for offset in range(len(source.text) + 1)] == expected
    assert source.line_of(None) is None
