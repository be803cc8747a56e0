"""The JSON API (/api/v1) over the console's return story: reads, writes, auth and audit."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask

from gateway.app import translate as translate_module
from gateway.app.access import AuditOutcome
from gateway.console.app import create_app
from gateway.console.throttle import GuessLimit
from tests.console.api_clients import bearer, make_client
from tests.console.conftest import signed_in
from tests.console.story import NOTICE, Story, build_story


@dataclass(frozen=True)
class Api:
    app: Flask
    story: Story
    read: str
    decide: str
    upload: str  # bound to recalls-hub, the recall coordinator
    admin: str

    def get(self, path: str, token: str | None = None, **kwargs: object):  # type: ignore[no-untyped-def]
        headers = bearer(token if token is not None else self.read)
        return self.app.test_client().get(path, headers=headers, **kwargs)

    def post(self, path: str, token: str, **kwargs: object):  # type: ignore[no-untyped-def]
        return self.app.test_client().post(path, headers=bearer(token), **kwargs)


@pytest.fixture
def api(story: Story) -> Api:
    app = create_app(story.store, story.config, clock=lambda: story.now,
                     guesses=GuessLimit(attempts=3, window=60))
    at = story.now - timedelta(days=1)
    return Api(app, story, make_client(story.store, "wms", "read", at=at),
               make_client(story.store, "returns-desk", "read,decide", at=at),
               make_client(story.store, "recall-office", "read,upload", at=at,
                           partner="recalls-hub"),
               make_client(story.store, "ops", "admin", at=at))


# --- auth ----------------------------------------------------------------------------------
def test_no_token_is_401_with_a_json_reason_and_the_scheme(api: Api) -> None:
    response = api.app.test_client().get("/api/v1/events")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "gateway tokens create" in response.json["message"]


def test_an_unknown_or_revoked_token_is_refused(api: Api) -> None:
    assert api.get("/api/v1/events", "gwt_not-a-real-token").status_code == 401
    assert api.get("/api/v1/events").status_code == 200
    assert api.story.store.api_clients().revoke("wms", api.story.now)
    assert api.get("/api/v1/events").status_code == 401


def test_a_person_signed_in_to_the_console_is_not_an_api_client(api: Api) -> None:
    browser = signed_in(api.app, "ada")
    assert browser.get("/api/v1/events").status_code == 401  # a session cookie opens no API


def test_a_token_in_the_address_is_refused_even_with_a_good_header(api: Api) -> None:
    for query in (f"?token={api.read}", f"?access_token={api.read}", f"?after=0&x={api.read}",
                  "?api_key=whatever"):
        response = api.get("/api/v1/events" + query)
        assert response.status_code == 400, query
        assert "Authorization header" in response.json["message"]


def test_wrong_scope_is_403_and_a_refused_write_is_audited(api: Api) -> None:
    response = api.post("/api/v1/decisions", api.read,
                        json={"reference": "RR20260114001", "verdict": "deny"})
    assert response.status_code == 403
    assert api.get("/api/v1/audit", api.read).status_code == 403  # admin only
    [entry] = api.story.store.audit_log().entries()
    assert (entry.entry.actor, entry.entry.outcome) == ("api:wms", AuditOutcome.REFUSED)
    assert entry.entry.source == "127.0.0.1"


def test_wrong_tokens_are_throttled_per_address(api: Api) -> None:
    for _ in range(3):
        assert api.get("/api/v1/events", "gwt_guess").status_code == 401
    response = api.get("/api/v1/events", "gwt_guess")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0


def test_last_use_is_recorded_without_the_token(api: Api) -> None:
    api.get("/api/v1/events")
    client = api.story.store.api_clients().by_name("wms")
    assert client is not None and client.last_used_from == "127.0.0.1"
    assert client.hint == api.read[-4:] and api.read not in repr(client)


# --- reads ---------------------------------------------------------------------------------
def test_the_event_feed_pages_by_cursor_and_filters_by_type(api: Api) -> None:
    first = api.get("/api/v1/events?limit=3").json
    assert [e["cursor"] for e in first["events"]] == sorted(e["cursor"] for e in first["events"])
    assert len(first["events"]) == 3 and first["newest"] >= first["next_after"]
    rest = api.get(f"/api/v1/events?after={first['next_after']}&limit=1000").json
    assert rest["events"][0]["cursor"] > first["next_after"]
    assert len(first["events"]) + len(rest["events"]) == len(
        api.story.store.events_after(0, limit=1000))
    rejected = api.get("/api/v1/events?types=file.rejected,file.not-x12").json["events"]
    assert {e["type"] for e in rejected} == {"file.rejected", "file.not-x12"}
    assert api.get("/api/v1/events?types=nonsense").status_code == 422


def test_a_case_is_found_by_rma_upc_serial_and_read_whole(api: Api) -> None:
    by_rma = api.get("/api/v1/cases?rma=RMA7734021").json["cases"]
    assert len(by_rma) == 1 and by_rma[0]["rma"] == "RMA7734021"
    case_id = by_rma[0]["case_id"]
    for query in ("gtin=614141000364", "gtin=00614141000364", "serial=SMX22A0017734"):
        assert [c["case_id"] for c in api.get(f"/api/v1/cases?{query}").json["cases"]] == \
            [case_id], query
    assert api.get("/api/v1/cases?rma=NOSUCHRMA").json == {"cases": [], "next_after": None}
    case = api.get(f"/api/v1/cases/{case_id}").json
    assert case["case_id"] == case_id and case["timeline"] and case["line_items"]
    assert case["program"] == "recall"  # its mixer is under recall 26-031
    assert [(p["line"], p["program"], p["rule"]) for p in case["line_programs"]] == [
        (1, "recall", 1), (2, "damaged-goods", 5)]
    assert {d["kind"] for d in case["documents"]} >= {"return-authorization",
                                                      "return-shipment"}
    assert api.get("/api/v1/cases/180:NOPE").status_code == 404


def test_documents_by_key_and_one_document(api: Api) -> None:
    page = api.get("/api/v1/documents?key=RMA7734021&limit=1").json
    assert len(page["documents"]) == 1 and page["next_after"] is not None
    one = page["documents"][0]
    again = api.get(f"/api/v1/documents/{one['id']}").json
    assert again == one and again["body"]["kind"] == one["kind"]
    assert api.get("/api/v1/documents/999999").status_code == 404


def test_a_rejected_file_with_located_findings_and_its_raw_bytes(api: Api) -> None:
    detail = api.get(f"/api/v1/files/{api.story.rejected_file}").json
    assert detail["state"] == "rejected" and detail["errors"] >= 1
    finding = next(f for f in detail["findings"] if f["severity"] == "error")
    assert finding["segment"] == "AT7" and finding["line"]
    raw = api.get(detail["raw_url"])
    assert raw.status_code == 200 and raw.mimetype == "application/octet-stream"
    assert raw.data.startswith(b"ISA") and len(raw.data) == detail["size"]
    assert f'file-{api.story.rejected_file}.x12' in raw.headers["Content-Disposition"]
    listed = api.get("/api/v1/files?state=rejected").json["files"]
    assert [f["id"] for f in listed] == [api.story.rejected_file]


def test_acknowledgements_show_the_overdue_and_the_held(api: Api) -> None:
    assert {a["delivery"] for a in api.get("/api/v1/acknowledgements?overdue=true").json[
        "acknowledgements"]} == {"overdue"}
    held = api.get("/api/v1/acknowledgements?held=true").json["acknowledgements"]
    assert [a["state"] for a in held] == ["held"] and "GS03" in held[0]["reason"]


def test_recalls_with_their_recipients(api: Api) -> None:
    [recall] = api.get("/api/v1/recalls").json["recalls"]
    assert (recall["notice_id"], recall["issuer"]) == ("26-031", "recalls-hub")
    detail = api.get("/api/v1/recalls/26-031").json
    assert [r["partner"] for r in detail["notified"]] == ["northwind"]
    assert detail["notified"][0]["response_status"] == "acting"
    assert detail["notice"]["notice_id"] == "26-031"


def test_exports_stream_csv_and_json_lines(api: Api) -> None:
    response = api.get("/api/v1/exports/lines?format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows and {r["rma"] for r in rows} == {"RMA7734021"}
    events = api.get("/api/v1/exports/events?types=file.rejected").text.splitlines()
    assert [json.loads(line)["type"] for line in events] == ["file.rejected"]
    assert api.get("/api/v1/exports/nothing").status_code == 404


# --- writes --------------------------------------------------------------------------------
def _request_id(api: Api) -> str:
    [request] = api.get("/api/v1/documents?kind=return-authorization&direction=in").json[
        "documents"]
    return str(request["reference"])


def test_a_decision_is_answered_once_and_audited(api: Api) -> None:
    request_id = _request_id(api)
    body = {"reference": "RMA7734021", "verdict": "deny", "lines": [2], "reason": "OS"}
    response = api.post("/api/v1/decisions", api.decide, json=body)
    assert response.status_code == 201, response.json
    answer = response.json
    assert answer["request"] == request_id and answer["queued"] is True
    assert {line["line_number"]: line["verdict"] for line in answer["lines"]}[2] == "deny"
    queued = [row for row in api.story.store.outbound(purposes=["rma-answer"])
              if row.state == "pending"]
    assert len(queued) == 1 and b"RDR*RD" in queued[0].payload
    [entry] = api.story.store.audit_log().entries()
    assert entry.entry.actor == "api:returns-desk" and entry.entry.action == "decision.deny"
    assert entry.entry.outcome == AuditOutcome.DONE and entry.entry.detail["lines"] == [2]


def test_a_decision_on_nothing_is_404_and_audited_as_failed(api: Api) -> None:
    response = api.post("/api/v1/decisions", api.decide,
                        json={"reference": "NO-SUCH-REQUEST", "verdict": "authorize"})
    assert response.status_code == 404 and "NO-SUCH-REQUEST" in response.json["message"]
    [entry] = api.story.store.audit_log().entries()
    assert entry.entry.outcome == AuditOutcome.FAILED


def test_denying_a_recalled_line_is_409_with_why(api: Api) -> None:
    response = api.post("/api/v1/decisions", api.decide,
                        json={"reference": "RMA7734021", "verdict": "deny", "lines": [1]})
    assert response.status_code == 409 and "recall hold 26-031" in response.json["message"]


def test_a_bad_decision_body_is_422_naming_the_field(api: Api) -> None:
    response = api.post("/api/v1/decisions", api.decide,
                        json={"reference": "RR20260114001", "verdict": "maybe"})
    assert response.status_code == 422 and "verdict" in json.dumps(response.json)


def _notice(name: str = "notice.xml", data: bytes | None = None) -> dict[str, object]:
    text = NOTICE.read_text().replace("26-031", "26-777")
    return {"notice": (io.BytesIO(data if data is not None else text.encode()), name)}


def test_an_upload_client_files_a_notice_as_its_partner(api: Api) -> None:
    response = api.post("/api/v1/recalls", api.upload, data=_notice(),
                        content_type="multipart/form-data")
    assert response.status_code == 201, response.json
    result = response.json
    assert result["state"] == "accepted" and result["documents"] == 1
    stored = api.story.store.files_by_id([result["file_id"]])[result["file_id"]]
    assert stored.partner == "recalls-hub" and stored.original_name == "notice.xml"
    assert any("26-777" in line for line in result["follow_ups"])
    again = api.post("/api/v1/recalls", api.upload, data=_notice(),
                     content_type="multipart/form-data")
    assert again.status_code == 200 and again.json["state"] == "duplicate"


def test_an_upload_client_cannot_send_as_another_partner(api: Api) -> None:
    before = len(api.story.store.recent_files(limit=1000))
    response = api.post("/api/v1/recalls", api.upload,
                        data={**_notice(), "partner": "northwind"},
                        content_type="multipart/form-data")
    assert response.status_code == 403
    assert len(api.story.store.recent_files(limit=1000)) == before
    [entry] = api.story.store.audit_log().entries()
    assert entry.entry.outcome == AuditOutcome.REFUSED and entry.entry.target == "northwind"


def test_a_partner_whose_role_forbids_notices_gets_a_rejected_file(api: Api) -> None:
    response = api.post("/api/v1/recalls", api.admin,
                        data={**_notice(), "partner": "odfl"},
                        content_type="multipart/form-data")
    assert response.status_code == 201 and response.json["state"] != "accepted"


def test_not_xml_is_stored_and_rejected_as_over_sftp(api: Api) -> None:
    response = api.post("/api/v1/recalls", api.upload, data=_notice("n.xml", b"hello"),
                        content_type="multipart/form-data")
    assert response.status_code == 201 and response.json["state"] == "not-x12"
    assert response.json["reason"]


def test_too_large_or_no_partner_file_is_refused_before_storing(api: Api) -> None:
    before = len(api.story.store.recent_files(limit=1000))
    nobody = api.post("/api/v1/recalls", api.admin, data={**_notice(), "partner": "nobody"},
                      content_type="multipart/form-data")
    assert nobody.status_code == 404 and "partner file" in nobody.json["message"]
    huge = b"<a>" + b"x" * (api.story.config.limits.xml_bytes + 1) + b"</a>"
    too_large = api.post("/api/v1/recalls", api.upload, data=_notice("n.xml", huge),
                         content_type="multipart/form-data")
    assert too_large.status_code == 413 and "message" in too_large.json
    assert len(api.story.store.recent_files(limit=1000)) == before


def test_an_admin_replays_a_rejected_file_and_others_may_not(api: Api) -> None:
    path = f"/api/v1/files/{api.story.rejected_file}/replay"
    assert api.post(path, api.decide).status_code == 403
    response = api.post(path, api.admin)
    assert response.status_code == 200 and response.json["state"] == "rejected"
    assert response.json["findings"]
    actions = [(r.entry.actor, r.entry.action, r.entry.outcome)
               for r in api.story.store.audit_log().entries()]
    assert actions == [("api:returns-desk", "api_files.replay", AuditOutcome.REFUSED),
                       ("api:ops", "file.replay", AuditOutcome.DONE)]
    accepted = next(f for f in api.get("/api/v1/files?state=accepted").json["files"])
    assert api.post(f"/api/v1/files/{accepted['id']}/replay", api.admin).status_code == 409


def test_the_audit_log_pages_for_an_admin(api: Api) -> None:
    for _ in range(3):
        api.post("/api/v1/decisions", api.decide, json={"reference": "NOPE", "verdict": "deny"})
    first = api.get("/api/v1/audit?limit=2", api.admin).json
    assert len(first["entries"]) == 2
    rest = api.get(f"/api/v1/audit?after={first['next_after']}", api.admin).json
    assert len(rest["entries"]) == 1


# --- the document ----------------------------------------------------------------------------
def test_the_openapi_document_describes_every_api_route(api: Api) -> None:
    spec = api.app.test_client().get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.1")
    documented = {path for path in spec["paths"]}
    routes = {rule.rule for rule in api.app.url_map.iter_rules()
              if rule.rule.startswith("/api/v1/") and rule.endpoint != "openapi.spec"}
    assert len(documented) == len(routes) >= 12
    assert "ClientToken" in spec["components"]["securitySchemes"]
    assert not any(path.startswith(("/files", "/cases")) for path in documented)  # no pages


def test_an_unknown_api_path_answers_json(api: Api) -> None:
    response = api.get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.is_json


def test_a_moment_without_an_offset_is_taken_as_utc(api: Api) -> None:
    opened = api.get("/api/v1/cases?rma=RMA7734021&opened_from=2000-01-01T00:00:00").json
    assert len(opened["cases"]) == 1
    later = api.get("/api/v1/cases?rma=RMA7734021&opened_from=2999-01-01T00:00:00").json
    assert later["cases"] == []
    assert api.get("/api/v1/documents?received_from=2026-13-01").status_code == 422


def test_a_broken_partner_file_is_409_not_a_crash(api: Api) -> None:
    response = api.post("/api/v1/recalls", api.admin, data={**_notice(), "partner": "acme"},
                        content_type="multipart/form-data")
    assert response.status_code == 409 and "does not read" in response.json["message"]


def test_a_document_kept_in_parts_is_read_the_same_by_the_api_and_the_export(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The story again with its 856 kept in parts: the API and the export stream the same
    document (as JSON, the same value) that the story kept whole serves."""
    whole = build_story(tmp_path / "whole")
    monkeypatch.setattr(translate_module, "STREAM_SET_CHARS", 0)
    parted = build_story(tmp_path / "parted")
    kept = [d for d in parted.store.each_document() if d.parts]
    assert [d.kind for d in kept] == ["return-shipment"]
    seen = []
    for story in (whole, parted):
        app = create_app(story.store, story.config, clock=lambda s=story: s.now)
        token = make_client(story.store, "wms", "read", at=story.now - timedelta(days=1))
        client = app.test_client()
        texts = []
        for path in (f"/api/v1/documents/{kept[0].id}", "/api/v1/exports/documents"):
            response = client.get(path, headers=bearer(token))
            assert response.status_code == 200, path
            texts.append(response.get_data(as_text=True))  # read before the next request
        seen.append((json.loads(texts[0]), [json.loads(line) for line in texts[1].splitlines()]))
    assert seen[1] == seen[0] and seen[0][0]["body"]["hierarchy"]
    # The parted body went out as stored (its own spacing), not parsed and dumped again.
    assert '"body":{"shipment_id": ' in texts[1] and '"body": {"shipment_id": ' in texts[0]
    # A page names it instead of carrying it.
    page = client.get("/api/v1/documents?limit=100", headers=bearer(token)).json
    [named] = [d for d in page["documents"] if d["id"] == kept[0].id]
    assert named["body"] is None and f"/api/v1/documents/{kept[0].id}" in named["body_omitted"]
    assert all(d["body"] for d in page["documents"] if d["id"] != kept[0].id)


def test_programs_by_week_partner_and_program(api: Api) -> None:
    rows = api.get("/api/v1/programs").json["programs"]
    assert [(r["partner"], r["program"], r["cases"], r["lines"], r["units"]) for r in rows] == [
        ("northwind", "damaged-goods", 0, 1, "1"), ("northwind", "recall", 1, 1, "2")]
    assert api.get("/api/v1/programs?partner=odfl").json["programs"] == []
    assert api.get("/api/v1/programs?since=2999-01-01T00:00:00Z").json["programs"] == []
    assert api.get("/api/v1/programs?since=yesterday").status_code == 422
    assert api.get("/api/v1/programs?week=1").status_code == 422  # unknown: refused
