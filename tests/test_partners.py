"""Partner files: checked before use, every problem named by file and key, no secret inside."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from gateway.config.partners import StatusUpdates, load_partners, read_partner
from gateway.domain.authority import ROLE_DEFAULTS, PartnerDocument
from gateway.domain.rma_policy import PolicyRule, Verdict
from gateway.errors import ConfigError
from gateway.model.states import CaseState
from gateway.x12.advice import ApplicationAdvice

REPO = Path(__file__).resolve().parents[1]
GOOD = (REPO / "partners" / "northwind.yaml").read_text()


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(text)
    return path


def test_the_shipped_partner_files_are_right() -> None:
    partners = load_partners(REPO / "partners")
    assert set(partners) == {"northwind", "odfl"}
    northwind = partners["northwind"]
    assert (northwind.isa_qualifier, northwind.isa_id) == ("01", "614832907")
    assert northwind.timezone == "America/New_York" and northwind.every_seconds == 60
    assert partners["odfl"].cron == "*/5 * * * *"


def test_northwind_says_how_it_takes_part_in_returns() -> None:
    northwind = load_partners(REPO / "partners")["northwind"]

    policy = northwind.returns_policy
    assert policy is not None
    assert (policy.rma_prefix, policy.default, len(policy.rules)) == ("NW", Verdict.PENDING, 5)
    assert policy.rules[0] == PolicyRule(Verdict.AUTHORIZE,
                                         frozenset({"DM", "DR", "DA", "DP", "DT"}),
                                         max_quantity=Decimal(10), max_value=Decimal(500))
    assert policy.rules[3] == PolicyRule(Verdict.DENY, frozenset({"EO"}),
                                         response_reason="OS")
    assert northwind.status_updates == StatusUpdates("x12-180", frozenset({
        CaseState.AUTHORIZED, CaseState.PARTIALLY_AUTHORIZED, CaseState.DENIED,
        CaseState.SHIPPED, CaseState.IN_TRANSIT, CaseState.DELIVERED, CaseState.RECEIVED,
        CaseState.CLOSED}))
    assert northwind.recall_notifications == "xml"
    assert northwind.ack_expected_within == timedelta(hours=4)


def test_the_returns_keys_are_optional() -> None:
    odfl = load_partners(REPO / "partners")["odfl"]

    assert (odfl.returns_policy, odfl.status_updates, odfl.recall_notifications,
            odfl.ack_expected_within) == (None, None, "none", None)


@pytest.mark.parametrize(("change", "key", "problem"), [
    (("role: retailer", "role: shipper"), "role", "use one of retailer"),
    (('isa_qualifier: "01"', "isa_qualifier: Z"), "x12.isa_qualifier", "2 letters or digits"),
    (("id: northwind", "id: southwind"), "id", "must match"),
    (("timezone: America/New_York", "timezone: Mars/Olympus"), "timezone", "a zone such as"),
    (("every: 60s", "every: sometimes"), "schedule.every", "60s, 5m or 1h"),
    (("every: 60s", "every: 0s"), "schedule.every", "at least 1s"),
    (('ta1: on-request', 'ta1: maybe'), "x12.acks.ta1", "on-request"),
    (("type: local", "type: ftp"), "transport.type", "sftp or local"),
    (('component: ">"', 'component: "*"'), "x12.delimiters", "must differ"),
    # returns_policy
    (("rma_prefix: NW", "rma_prefix: nw"), "returns_policy.rma_prefix", "upper-case letters"),
    (("default: pending", "default: maybe"), "returns_policy.default",
     "use one of authorize, deny, pending"),
    (("rules:  ", "ruels:  "), "returns_policy.ruels", "is not a known key"),
    (("max_quantity: 10", "max_quantity: -1"), "returns_policy.rules[1].max_quantity",
     "is -1; write a number 0 or more"),
    (("max_value: 500", "max_value: lots"), "returns_policy.rules[1].max_value",
     "write a number 0 or more"),
    (("max_value: 500", "max_value: .nan"), "returns_policy.rules[1].max_value",
     "write a number 0 or more"),
    (("[DM, DR, DA", "[XX, DR, DA"), "returns_policy.rules[1].reasons",
     "XX: not an X12 1293 return reason code"),
    (("reasons: [WG]", "reasons: []"), "returns_policy.rules[2].reasons",
     "leave it out for a rule about every reason"),
    (("[WG], decide: authorize", "[WG], decide: accept"), "returns_policy.rules[2].decide",
     "use one of authorize, deny, pending"),
    (("[WG], decide: authorize", "[WG]"), "returns_policy.rules[2].decide", "is missing"),
    (("[WG], decide", "[WG], why: ours, decide"), "returns_policy.rules[2].why",
     "is not a known key"),
    (("response_reason: OS", "response_reason: XX"), "returns_policy.rules[4].response_reason",
     "use an X12 1294 response reason"),
    (("[WG], decide: authorize", "[WG], decide: authorize, response_reason: RR"),
     "returns_policy.rules[2].response_reason", "an authorization needs no reason"),
    (("- {reasons: [WG], decide", "- {decide"), "returns_policy.rules[3]",
     "can never apply: rule 2 before it has no conditions"),
    (("role: retailer", "role: vendor"), "returns_policy", "a vendor sends none"),
    # status_updates
    (("form: x12-180", "form: fax"), "status_updates.form",
     "use one of x12-180, x12-214, x12-861, xml"),
    (("form: x12-180", "form: x12-861"), "status_updates.on",
     "lists authorized, partially-authorized, denied, shipped, in-transit, delivered, closed, "
     "which an 861 cannot carry"),
    (("form: x12-180", "form: x12-214"), "status_updates.on",
     "lists authorized, partially-authorized, denied, received, closed, which a 214 cannot "
     "carry"),
    (("denied, shipped", "denied, lost"), "status_updates.on", "lost: not a state"),
    (('"on": [authorized', '"in": [authorized'), "status_updates.in", "is not a known key"),
    (('"on": [authorized', '"off": [authorized'), "status_updates.on", "must list the case"),
    # recall_notifications
    (("{form: xml}", "{form: email}"), "recall_notifications.form", "use xml or none"),
    (("{form: xml}", "{format: xml}"), "recall_notifications.format", "is not a known key"),
    # x12.acks.expect_within
    (("expect_within: 4h", "expect_within: soon"), "x12.acks.expect_within",
     "such as 30m, 24h or 2d"),
    (("expect_within: 4h", "expect_within: 0h"), "x12.acks.expect_within", "longer than 0"),
    (("expect_within: 4h", "expect_in: 4h"), "x12.acks.expect_in", "is not a known key"),
])
def test_each_problem_names_its_key(tmp_path: Path, change: tuple[str, str], key: str,
                                    problem: str) -> None:
    assert change[0] in GOOD
    partner = read_partner(write(tmp_path, "northwind", GOOD.replace(*change)))
    assert any(p.startswith(f"{key}:") and problem in p for p in partner.problems), \
        partner.problems


SFTP = GOOD.replace("type: local", "type: sftp\n  host: 127.0.0.1\n  username: nw\n"
                    "  known_hosts: partners/known_hosts\n  private_key: KEY")


def test_a_private_key_is_a_reference_never_the_key(tmp_path: Path) -> None:
    (tmp_path / "partners").mkdir()
    (tmp_path / "partners" / "known_hosts").write_text("# pinned keys\n")
    folder = tmp_path / "partners"
    literal = read_partner(write(folder, "northwind", SFTP.replace(
        "KEY", '"-----BEGIN OPENSSH PRIVATE KEY----- abc"')))
    assert "transport.private_key: holds a secret itself" in literal.problems
    assert not any("abc" in p for p in literal.problems)  # never echoed
    by_env = read_partner(write(folder, "northwind", SFTP.replace("KEY", "{env: NW_KEY}")))
    assert by_env.problems == () and by_env.transport is not None
    assert by_env.transport.private_key is not None
    assert by_env.transport.private_key.env == "NW_KEY"


def test_load_partners_stops_with_every_problem_of_the_file(tmp_path: Path) -> None:
    write(tmp_path, "northwind", GOOD.replace("role: retailer", "role: x").replace(
        "every: 60s", "every: soon"))
    with pytest.raises(ConfigError) as caught:
        load_partners(tmp_path)
    assert "northwind.yaml" in str(caught.value)
    assert "role:" in str(caught.value) and "schedule.every:" in str(caught.value)


def test_partners_check_command(tmp_path: Path) -> None:
    (tmp_path / "partners").mkdir()
    (tmp_path / "partners" / "known_hosts").write_text("# pinned keys\n")
    write(tmp_path / "partners", "northwind", SFTP.replace("KEY", "{env: NW_TEST_KEY_UNSET}"))
    result = subprocess.run([sys.executable, "-m", "gateway.cli", "partners", "check"],
                            cwd=tmp_path, capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "transport.private_key: the environment variable NW_TEST_KEY_UNSET is not set" \
        in result.stdout


def test_a_bare_on_in_status_updates_is_read_as_on(tmp_path: Path) -> None:
    # PyYAML reads an unquoted `on:` key as true; in this section it can only mean "on".
    partner = read_partner(write(tmp_path, "northwind", GOOD.replace('"on":', "on:")))

    assert partner.problems == ()
    assert partner.status_updates is not None and len(partner.status_updates.states) == 8


def test_a_214_may_carry_the_shipment_states(tmp_path: Path) -> None:
    text = GOOD.replace("form: x12-180", "form: x12-214").replace(
        "[authorized, partially-authorized, denied, shipped, in-transit, delivered, received,\n"
        "         closed]", "[shipped, in-transit, delivered]")
    partner = read_partner(write(tmp_path, "northwind", text))

    assert partner.problems == ()
    assert partner.status_updates == StatusUpdates("x12-214", frozenset({
        CaseState.SHIPPED, CaseState.IN_TRANSIT, CaseState.DELIVERED}))


def test_an_861_carries_the_receipt(tmp_path: Path) -> None:
    text = GOOD.replace("form: x12-180", "form: x12-861").replace(
        "[authorized, partially-authorized, denied, shipped, in-transit, delivered, received,\n"
        "         closed]", "[received]")
    partner = read_partner(write(tmp_path, "northwind", text))

    assert partner.problems == ()
    assert partner.status_updates == StatusUpdates("x12-861", frozenset({CaseState.RECEIVED}))


@pytest.mark.parametrize("role", ["return-centre", "vendor"])
def test_a_return_centre_is_a_role(tmp_path: Path, role: str) -> None:
    text = GOOD.replace("role: retailer", f"role: {role}")
    text = text[:text.index("returns_policy:")] if "returns_policy:" in text else text
    partner = read_partner(write(tmp_path, "northwind", text))
    assert [p for p in partner.problems if "role" in p] == [], partner.problems


@pytest.mark.parametrize(("written", "expected"), [
    ("30s", timedelta(seconds=30)), ("90m", timedelta(minutes=90)),
    ("24h", timedelta(hours=24)), ("2d", timedelta(days=2)),
])
def test_expect_within_reads_seconds_minutes_hours_and_days(tmp_path: Path, written: str,
                                                            expected: timedelta) -> None:
    partner = read_partner(write(tmp_path, "northwind",
                                 GOOD.replace("expect_within: 4h", f"expect_within: {written}")))

    assert partner.problems == () and partner.ack_expected_within == expected


def test_a_policy_with_amounts_as_text_and_no_rules(tmp_path: Path) -> None:
    text = GOOD.replace("max_value: 500", 'max_value: "499.99"')
    assert read_partner(write(tmp_path, "northwind", text)).returns_policy is not None
    policy = read_partner(write(tmp_path, "northwind", text)).returns_policy
    assert policy is not None and policy.rules[0].max_value == Decimal("499.99")

    minimal = GOOD.split("returns_policy:")[0] + "returns_policy: {default: deny}\n"
    partner = read_partner(write(tmp_path, "northwind", minimal))
    assert partner.problems == ()
    assert partner.returns_policy is not None
    assert (partner.returns_policy.rules, partner.returns_policy.default,
            partner.returns_policy.rma_prefix) == ((), Verdict.DENY, "RMA")


# --- x12.application_advice: the optional 824 for sets we could not use ----------------------
def test_application_advice_is_off_unless_a_partner_asks_for_it(tmp_path: Path) -> None:
    shipped = load_partners(REPO / "partners")
    assert {p.application_advice for p in shipped.values()} == {ApplicationAdvice.NONE}

    asked = GOOD.replace('  version: "004010"\n',
                         '  version: "004010"\n  application_advice: x12-824\n')
    partner = read_partner(write(tmp_path, "northwind", asked))
    assert partner.problems == ()
    assert partner.application_advice is ApplicationAdvice.X12_824
    said_no = read_partner(write(tmp_path, "northwind", asked.replace("x12-824", "none")))
    assert (said_no.problems, said_no.application_advice) == ((), ApplicationAdvice.NONE)


@pytest.mark.parametrize("written", ["x12-864", "true", "824", '""'])
def test_a_wrong_application_advice_names_file_key_and_choices(tmp_path: Path,
                                                              written: str) -> None:
    text = GOOD.replace('  version: "004010"\n',
                        f'  version: "004010"\n  application_advice: {written}\n')
    partner = read_partner(write(tmp_path, "northwind", text))
    assert [p for p in partner.problems if p.startswith("x12.application_advice:")] == [
        f"x12.application_advice: is {partner_value(written)!r}; use one of none, x12-824"]
    with pytest.raises(ConfigError) as caught:
        load_partners(tmp_path)
    assert "northwind.yaml" in str(caught.value)
    assert "x12.application_advice:" in str(caught.value)


def partner_value(written: str) -> object:
    """What YAML makes of the value as written: the checker echoes it."""
    return {"true": True, "824": 824, '""': ""}.get(written, written)


# --- documents: what a partner may send (issue 12) --------------------------------------------
def test_the_shipped_partners_send_what_their_roles_allow() -> None:
    partners = load_partners(REPO / "partners")
    for partner in partners.values():
        assert partner.authority is not None and not partner.authority.configured
        assert partner.document_authority.allowed == ROLE_DEFAULTS[partner.role]
    assert PartnerDocument.RECALL_NOTICE not in partners["northwind"].document_authority.allowed
    assert partners["odfl"].document_authority.allowed == {PartnerDocument.SHIPMENT_STATUS,
                                                           PartnerDocument.RECALL_RESPONSE}


@pytest.mark.parametrize(("documents", "expected"), [
    ("{allow: [shipment-status]}", ROLE_DEFAULTS["retailer"] | {PartnerDocument.SHIPMENT_STATUS}),
    ("{deny: [return-notification]}",
     ROLE_DEFAULTS["retailer"] - {PartnerDocument.RETURN_NOTIFICATION}),
    ("{allow: [recall-notice], deny: [return-shipment]}",
     ROLE_DEFAULTS["retailer"] - {PartnerDocument.RETURN_SHIPMENT}
     | {PartnerDocument.RECALL_NOTICE}),
    ("[return-request, recall-response]",
     {PartnerDocument.RETURN_REQUEST, PartnerDocument.RECALL_RESPONSE}),
])
def test_documents_widens_narrows_or_replaces_the_roles_defaults(
        tmp_path: Path, documents: str, expected: frozenset[PartnerDocument]) -> None:
    partner = read_partner(write(tmp_path, "northwind", GOOD + f"documents: {documents}\n"))

    assert partner.problems == ()
    assert partner.document_authority.allowed == expected
    assert partner.document_authority.configured


def test_a_refusal_says_whether_the_role_or_the_partner_file_refused(tmp_path: Path) -> None:
    narrowed = read_partner(write(tmp_path, "northwind",
                                  GOOD + "documents: {deny: [return-shipment]}\n"))
    by_file = narrowed.document_authority.refusal(PartnerDocument.RETURN_SHIPMENT)
    by_role = narrowed.document_authority.refusal(PartnerDocument.SHIPMENT_STATUS)

    assert by_file == ("northwind may not send 856 return shipments: its partner file takes "
                       "them away")
    assert by_role == ("northwind is a retailer and may not send 214 shipment status reports: "
                       "they come from carrier partners, unless the partner file allows them "
                       "(documents)")


@pytest.mark.parametrize(("documents", "key", "problem"), [
    ("{allow: [recall-notices]}", "documents.allow",
     "recall-notices: not a document a partner sends; use return-request, return-answer"),
    ("{allow: [997, TA1]}", "documents.allow",
     "997, TA1: acknowledgements (997, 999, TA1) are always taken from every partner"),
    ("{deny: [acknowledgement]}", "documents.deny", "are always taken"),
    ("{allow: [shipment-status], deny: [shipment-status]}", "documents.deny",
     "shipment-status: also in documents.allow; a document is allowed or denied, not both"),
    ("{allow: shipment-status}", "documents.allow", "must be a list of documents"),
    ("{permit: [shipment-status]}", "documents.permit", "is not a known key"),
    ("[]", "documents", "is empty, so the partner could send nothing but acknowledgements"),
    ("return-request", "documents", "write the exact list, e.g. [return-request"),
    ("{deny: [return-request]}", "documents",
     "leaves out return-request, but returns_policy decides its 180 return requests"),
    ("[return-request, return-shipment]", "documents",
     "leaves out recall-response, but recall_notifications asks it to answer with recall "
     "responses"),
])
def test_each_documents_problem_names_its_key(tmp_path: Path, documents: str, key: str,
                                              problem: str) -> None:
    partner = read_partner(write(tmp_path, "northwind", GOOD + f"documents: {documents}\n"))

    assert any(p.startswith(f"{key}:") and problem in p for p in partner.problems), \
        partner.problems
    with pytest.raises(ConfigError) as caught:
        load_partners(tmp_path)
    assert "northwind.yaml" in str(caught.value) and f"{key}:" in str(caught.value)


def test_partners_check_names_the_file_and_the_documents_key(tmp_path: Path) -> None:
    (tmp_path / "partners").mkdir()
    write(tmp_path / "partners", "northwind", GOOD + "documents: {allow: [recal-notice]}\n")
    result = subprocess.run([sys.executable, "-m", "gateway.cli", "partners", "check"],
                            cwd=tmp_path, capture_output=True, text=True, check=False)

    assert result.returncode == 1
    assert "partners/northwind.yaml: 1 problem" in result.stdout
    assert "  documents.allow: recal-notice: not a document a partner sends" in result.stdout
