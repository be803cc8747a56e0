"""Nothing in a partner's bytes may crash the gateway, and every answer we build is valid X12."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from gateway.x12.ack import AckPolicy, Ta1Policy, build_acknowledgements
from gateway.x12.assess import assess
from gateway.x12.report import render_text, to_json
from gateway.x12.write import Identity, SequentialControlNumbers
from tests.x12.x12text import BODY_214, group, interchange, transaction

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "valid"
VALID = [interchange([group([transaction(), transaction(control="0002")]),
                      group([transaction(body=BODY_214[:3])], control="2")], ack="1").encode(),
         *(path.read_bytes() for path in sorted(SAMPLES.glob("*.x12")))]
INTERESTING = [b"~", b"*", b">", b"\n", b"\r\n", b"ISA", b"IEA*1", b"GS*", b"SE*", b"ST*214*",
               b"\x00", b"\xff", b"\xe2\x80\xa6", b"\xef\xbb\xbf", b"  "]


@st.composite
def corrupted(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        chunk = draw(st.one_of(st.sampled_from(INTERESTING), st.binary(min_size=1, max_size=4)))
        if action == "insert":
            data[at:at] = chunk
        elif action == "delete":
            del data[at:at + draw(st.integers(1, 40))]
        else:
            data[at:at + len(chunk)] = chunk
    return bytes(data)


@given(corrupted())
def test_corrupted_files_get_findings_not_exceptions(data: bytes) -> None:
    assessment = assess(data)
    render_text("f", assessment)
    to_json("f", assessment)
    assert assessment.exit_code in (0, 1, 2)
    if assessment.exit_code != 0:
        assert any(x.is_error for x in assessment.all_findings())
    answers = build_acknowledgements(
        assessment, Identity("ZZ", "RLGATEWAY", "RLGATEWAY"), AckPolicy(ta1=Ta1Policy.ALWAYS),
        SequentialControlNumbers(), datetime(2026, 1, 2, tzinfo=UTC))
    for answer in answers:
        checked = assess(answer.text.encode("latin-1"))
        assert checked.accepted, (answer.text, [x.message for x in checked.all_findings()])
