"""Every page, over the whole story and over an empty store."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gateway.cli import main
from gateway.console.app import create_app
from gateway.console.charts import Bar, BarGroup, bar_chart
from gateway.console.rawfile import one_segment_a_line, segment_terminator
from gateway.console.server import is_loopback
from tests.console.conftest import READ_TOKEN, signed_in
from tests.console.story import Story
from tests.store.test_outbound import Gateway
from tests.test_cli_robustness import write_config


def test_partners_show_health_badges_and_broken_files(reader: FlaskClient) -> None:
    page = reader.get("/partners").text
    assert "Northwind Home Stores" in page and "Old Dominion Freight Line" in page
    assert "2 acknowledgements overdue" in page  # northwind: attention
    assert "the last file was not-x12" in page and "1 document held as invalid" in page
    assert "role: is &#39;wholesaler&#39;" in page  # acme.yaml's problems, escaped
    assert "tone-warn\">attention" in page and "tone-bad\">failing" in page
    assert "tone-good\">ok" in page  # the recall hub


def test_files_filter_by_partner_and_state(reader: FlaskClient) -> None:
    everything = reader.get("/files").text
    assert "rma-request.x12" in everything and "notes.txt" in everything
    rejected = reader.get("/files?state=rejected").text
    assert "status-0220.x12" in rejected and "rma-request.x12" not in rejected
    northwind = reader.get("/files?partner=northwind").text
    assert "asn-0412.x12" in northwind and "status-0106.x12" not in northwind
    assert "No file matches these filters" in reader.get("/files?partner=nobody").text


def test_a_rejected_file_shows_its_located_finding_and_raw_bytes(reader: FlaskClient,
                                                                 story: Story) -> None:
    page = reader.get(f"/files/{story.rejected_file}").text
    # The same words as `gateway show '#N'`.
    assert "line 14, segment 12 (AT7), element AT701" in page
    assert "Invalid code value (Shipment Status Code)." in page and "[AK403 7]" in page
    assert "GS06 220 (QM)" in page and "214 0001" in page
    assert '<span class="line line-marked">AT7*ZZ*NS***20260120*1405*ET~</span>' in page
    assert "997" in page and "000000220" in page  # our 997 answering its ISA13


def test_a_file_that_is_not_x12_is_shown_as_sent(reader: FlaskClient, story: Story) -> None:
    page = reader.get(f"/files/{story.not_x12_file}").text
    assert "it is not X12" in page and "rma_number,upc,quantity" in page


def test_an_unknown_file_is_404(reader: FlaskClient) -> None:
    response = reader.get("/files/999")
    assert response.status_code == 404 and "There is no file #999." in response.text


def test_a_case_by_its_rma(reader: FlaskClient) -> None:
    page = reader.get("/cases?q=RMA7734021").text
    for state in ("requested", "authorized", "in-transit", "delivered"):
        assert f'tone-{"good" if state in ("authorized", "delivered") else "info"}">{state}' \
            in page
    assert "hold 26-031" in page and "Stand mixer 5 qt red" in page  # line 1 on recall hold
    assert "rma-answer" in page and "acknowledgement overdue since 2026-11-25 16:00" in page
    assert "held, not sent: GS03 (receiver)" in page
    assert "rma-request.x12" in page and "sent by us to northwind" in page


@pytest.mark.parametrize("reference", ["RR20261123001", "4500012345", "ODFL4471122",
                                       "0771001234"])
def test_a_case_by_any_of_its_keys(reader: FlaskClient, reference: str) -> None:
    assert "Case <span class=\"mono\">180:RR20261123001" in reader.get(
        f"/cases?q={reference}").text


def test_a_case_search_for_a_file_number_opens_the_file(reader: FlaskClient) -> None:
    response = reader.get("/cases?q=%233")
    assert response.status_code == 302 and response.headers["Location"] == "/files/3"


def test_an_unknown_reference_says_what_to_try(reader: FlaskClient) -> None:
    page = reader.get("/cases?q=%3Cscript%3Ealert(1)%3C/script%3E").text
    assert "Nothing is known about &lt;script&gt;" in page and "<script>" not in page


def test_acknowledgements_highlight_overdue_and_held(reader: FlaskClient) -> None:
    page = reader.get("/acks").text
    assert page.count("row-overdue") == 2 and "row-held" in page
    overdue = reader.get("/acks?show=overdue").text
    assert "rma-answer" in overdue and "held, not sent" not in overdue
    held = reader.get("/acks?show=held").text
    assert "GS03 (receiver) must be 2 to 15 characters" in held and "rma-answer" not in held


def test_recalls_and_a_recall_with_its_chart(reader: FlaskClient) -> None:
    listing = reader.get("/recalls").text
    assert "26-031" in listing and "Acme 5 qt Stand Mixers" in listing
    page = reader.get("/recalls/26-031").text
    assert '<svg class="chart" role="img"' in page
    assert "Partners: notified 1, delivered 1, responded 1" in page
    assert "Units: affected 1, found 2, returned 1" in page
    assert "one mixer still in a store" in page
    assert reader.get("/recalls/NOPE").status_code == 404


@pytest.mark.parametrize(("path", "advice"), [
    ("/partners", "No partners yet."),
    ("/files", "No files yet: run gateway demo, or gateway ingest"),
    ("/cases", "Type any reference of a return."),
    ("/acks", "Nothing sent on our own account yet."),
    ("/acks?show=overdue", "Nothing is overdue."),
    ("/acks?show=held", "Nothing is held."),
    ("/recalls", "No recall notices yet."),
])
def test_empty_pages_say_what_to_do(empty_app: Flask, path: str, advice: str) -> None:
    response = signed_in(empty_app, READ_TOKEN).get(path)
    assert response.status_code == 200
    assert advice in response.text


def test_the_chart_escapes_its_labels() -> None:
    svg = bar_chart("<t>", [BarGroup("a&b", (Bar("<x>", Decimal(3), "bar-a"),
                                             Bar("y", Decimal(0), "bar-b")))])
    assert "<x>" not in svg and "&lt;x&gt;" in svg and "a&amp;b" in svg
    assert 'width="0"' in svg  # a zero draws no bar


def test_raw_files_break_after_each_segment() -> None:
    isa = ("ISA*00*          *00*          *02*ODFL           *ZZ*RLGATEWAY      *260121*"
           "1140*U*00401*000000220*0*P*>")
    assert segment_terminator(isa + "~GS*QM~") == "~"
    assert one_segment_a_line(isa + "~GS*QM~ST*214~") == f"{isa}~\nGS*QM~\nST*214~"
    assert segment_terminator("rma,upc\n1,2") is None


def test_only_loopback_hosts_count_as_local() -> None:
    assert all(map(is_loopback, ("127.0.0.1", "::1", "localhost", "127.0.0.2")))
    assert not any(map(is_loopback, ("0.0.0.0", "192.168.1.4", "::", "example.org")))


def test_the_command_refuses_to_start_when_nobody_can_sign_in(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("GATEWAY_CONSOLE_TOKEN", raising=False)
    config = write_config(tmp_path, f"url: 'sqlite:///{tmp_path / 'g.sqlite'}'")
    assert main(["--config", str(config), "db", "upgrade"]) == 0
    capsys.readouterr()
    assert main(["--config", str(config), "console"]) == 2
    error = capsys.readouterr().err
    assert "nobody can sign in to the console yet" in error and "gateway users add" in error


def test_the_command_refuses_a_remote_host_unless_allowed(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["console", "--host", "0.0.0.0"]) == 2
    assert "loopback addresses only" in capsys.readouterr().err


def test_an_old_shared_token_setting_is_said_to_be_ignored(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GATEWAY_CONSOLE_TOKEN", "an-old-shared-read-token")
    assert main(["console", "--host", "0.0.0.0"]) == 2
    error = capsys.readouterr().err
    assert "GATEWAY_CONSOLE_TOKEN is ignored" in error and "gateway tokens create" in error
    assert "an-old-shared-read-token" not in error


def test_partner_text_is_shown_with_bidi_and_control_characters_escaped(
        story: Story) -> None:
    """A bidi override in a file name would show "invoice\u202egnp.x12" as "invoice21x.png";
    a control character in the raw file would show as nothing. Every plain string a page
    prints has them written as escapes (issue 12)."""
    gateway = Gateway(str(story.store.engine.url), story.config.paths["archive"].parent)
    name = "invoice\u202egnp.x12"
    file_id = gateway.take("odfl", b"CSV\x1b]0;owned\x07,1\n", name).file_id
    client = signed_in(create_app(story.store, story.config, clock=lambda: story.now),
                       READ_TOKEN)
    listing, page = client.get("/files").text, client.get(f"/files/{file_id}").text
    for text in (listing, page):
        assert "\u202e" not in text and "invoice\\u202egnp.x12" in text
    assert "\x1b" not in page and "\x07" not in page and "\\x1b]0;owned\\x07" in page
