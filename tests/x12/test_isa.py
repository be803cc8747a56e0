"""The ISA reader: delimiters from fixed positions, the separator fallback, field checks."""

from __future__ import annotations

import pytest

from gateway.x12.findings import Location, Severity
from gateway.x12.isa import read_isa

GOOD = ("ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       "
        "*240102*1300*U*00401*000000777*1*P*>~")


def read(text: str):  # type: ignore[no-untyped-def]
    return read_isa(text, 0, Location())


def codes(text: str) -> set[str]:
    return {x.x12.value for x in read(text).findings if x.x12 is not None}


def test_fixed_width_isa_gives_delimiters_and_fields() -> None:
    result = read(GOOD + "GS*...")
    header = result.header
    assert header is not None and header.fixed_width
    assert (header.delimiters.element, header.delimiters.component,
            header.delimiters.segment) == ("*", ">", "~")
    assert header.delimiters.repetition is None  # 00401: ISA11 is not a separator
    assert header.control_number == "000000777"
    assert header.ack_requested
    assert header.sender == ("ZZ", "SENDER")
    assert header.end == 106
    assert result.findings == ()


def test_multi_byte_terminator_is_one_terminator() -> None:
    text = GOOD[:-1] + "\xe2\x80\xa6"  # "…" in UTF-8, read as latin-1
    header = read(text).header
    assert header is not None and header.delimiters.segment == "\xe2\x80\xa6"
    assert header.end == 108


def test_newline_terminator() -> None:
    header = read(GOOD[:-1] + "\nGS*").header
    assert header is not None and header.delimiters.segment == "\n"


def test_repetition_separator_from_00402_on() -> None:
    text = GOOD.replace("*U*00401*", "*^*00501*")
    header = read(text).header
    assert header is not None and header.delimiters.repetition == "^"


def test_letter_in_isa11_of_00403_is_not_a_separator() -> None:
    result = read(GOOD.replace("*U*00401*", "*U*00403*"))
    assert result.header is not None and result.header.delimiters.repetition is None
    assert [x.code for x in result.findings] == ["isa.isa11-not-a-separator"]


def test_short_isa_falls_back_to_separators_and_warns() -> None:
    text = ("ISA*00*bbbbbbbbbb*00*bbbbbbbbbb*01*007061617*01*00507479*930906*2018*U*00303"
            "*000007023*0*P*:~")
    result = read(text)
    assert result.header is not None and not result.header.fixed_width
    assert result.header.receiver == ("01", "00507479")
    assert result.header.delimiters.component == ":"
    warnings = [x for x in result.findings if x.severity is Severity.WARNING]
    # Each field that is not its fixed width is named, with the TA1 note code for it.
    assert [(x.code, str(x.x12)) for x in warnings] == [
        ("isa.isa06-wrong-width", "TA105 006"), ("isa.isa08-wrong-width", "TA105 008")]
    assert not any(x.is_error for x in result.findings)


def test_a_strict_partner_has_a_short_isa_rejected() -> None:
    text = ("ISA*00*bbbbbbbbbb*00*bbbbbbbbbb*01*007061617*01*00507479*930906*2018*U*00303"
            "*000007023*0*P*:~")
    result = read_isa(text, 0, Location(), strict=True)
    errors = [(x.code, str(x.x12)) for x in result.findings if x.is_error]
    assert errors == [("isa.isa06-wrong-width", "TA105 006"),
                      ("isa.isa08-wrong-width", "TA105 008")]


def test_an_isa_that_only_wraps_is_read_and_reported_as_not_fixed_width() -> None:
    result = read(GOOD.replace("RECEIVER       *", "RECEIVER       \n*"))
    [note] = [x for x in result.findings if x.severity is Severity.WARNING]
    assert (note.code, str(note.x12)) == ("isa.not-fixed-width", "TA105 024")
    assert "107 characters" in note.message  # the wording bug said "106 ... instead of 106"


def test_line_break_inside_isa_is_removed_from_the_field() -> None:
    text = GOOD.replace("RECEIVER       *", "RECEIVER       \n*")
    result = read(text)
    assert result.header is not None
    assert result.header.receiver == ("ZZ", "RECEIVER")
    assert result.header.element(8) == "RECEIVER       "


@pytest.mark.parametrize(("old", "new", "note"), [
    ("*240102*", "*241302*", "014"),   # month 13
    ("*1300*", "*2560*", "015"),       # hour 25
    ("*000000777*", "*00000077A*", "018"),
    ("*1*P*", "*2*P*", "019"),
    ("*1*P*", "*1*X*", "020"),
    ("ISA*00*", "ISA*99*", "010"),
    ("*00*          *ZZ", "*07*          *ZZ", "012"),
    ("*U*00401*", "*U*0040A*", "017"),
])
def test_bad_isa_fields_map_to_ta1_note_codes(old: str, new: str, note: str) -> None:
    assert GOOD.count(old) == 1
    assert note in codes(GOOD.replace(old, new))


def test_truncated_isa_is_unreadable_and_says_so() -> None:
    result = read("ISA*00*          *00*      ")
    assert result.header is None
    assert result.findings[0].code == "isa.unreadable"
    assert "cannot be read" in result.findings[0].message


def test_letter_as_element_separator_is_rejected() -> None:
    result = read("ISAX00X")
    assert result.header is None
    assert result.findings[0].x12 is not None and result.findings[0].x12.value == "026"
