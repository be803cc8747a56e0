"""Partner files: ``partners/<id>.yaml``, one per trading partner, checked before use and
read into a `gateway.app.partners.PartnerSettings` (the one partner type everything else reads).

Every problem names the file, the key and what is wrong, and all of a file's problems are
reported at once. Secrets are never in these files: a private key is ``{env: NAME}`` or
``{file: path}``, and text that looks like a key itself is refused.

Besides identity and transport, a file says how the partner takes part in returns: how a
retailer's 180 requests are decided (``returns_policy``, a `ReturnsPolicy`), which return case
moves it hears about and in what form (``status_updates``), whether it gets recall notices
(``recall_notifications``) and how soon its 997 / 999 for what we send is due
(``x12.acks.expect_within``), and whether a set that passed X12 validation but could not be
used is also explained to it in an 824 Application Advice (``x12.application_advice``).

What a partner may send is its role's (``gateway.domain.authority``): ``documents`` widens or
narrows that, as ``{allow: [...], deny: [...]}`` or as the exact list.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gateway.app.partners import (
    PARTNER_FOLDERS_ANCHOR,
    STATUS_FORMS,
    PartnerSettings,
    PartnerTransport,
    SecretRef,
    StatusUpdates,
)
from gateway.app.partners import folder_problem as folder_problem  # noqa: PLC0414 (settings.py)
from gateway.config.secrets import secret_ref
from gateway.config.yaml_files import read_yaml_mapping
from gateway.domain.authority import (
    ALWAYS_TAKEN,
    DESCRIPTIONS,
    DocumentAuthority,
    PartnerDocument,
    adjusted_authority,
    role_authority,
)
from gateway.domain.rma_policy import (
    REQUEST_REASON_CODES,
    RESPONSE_REASONS,
    PolicyRule,
    ReturnsPolicy,
    Verdict,
)
from gateway.errors import ConfigError, GatewayError
from gateway.model.states import CaseState
from gateway.x12.ack import FunctionalAck, Ta1Policy
from gateway.x12.advice import ApplicationAdvice
from gateway.x12.isa import Delimiters

ROLES = ("retailer", "carrier", "vendor", "recall-coordinator", "return-centre")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_EVERY = re.compile(r"^(\d+)\s*(s|m|h)$")
_DURATION = re.compile(r"^(\d+)\s*(s|m|h|d)$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RMA_PREFIX = re.compile(r"^[A-Z][A-Z0-9-]{0,9}$")
_CRON_FIELD = re.compile(r"^[\d*/,\-]+$")


# The case moves a partner can hear about. Requested, pending, cancelled and exceptions are not
# offered: the partner either caused them or they are not a step of the return.
UPDATE_STATES = (CaseState.AUTHORIZED, CaseState.PARTIALLY_AUTHORIZED, CaseState.DENIED,
                 CaseState.SHIPPED, CaseState.IN_TRANSIT, CaseState.DELIVERED,
                 CaseState.RECEIVED, CaseState.CLOSED)
# A 214 reports where a shipment is (AT701 status codes); it has no code for a vendor's verdict
# or for what happens at our dock after delivery.
NOT_IN_214 = frozenset({CaseState.AUTHORIZED, CaseState.PARTIALLY_AUTHORIZED, CaseState.DENIED,
                        CaseState.RECEIVED, CaseState.CLOSED})
# An 861 says what arrived at a dock: it carries the receipt and nothing else.
IN_861 = frozenset({CaseState.RECEIVED})
RECALL_FORMS = ("xml", "none")
_RULE_KEYS = frozenset({"reasons", "max_quantity", "max_value", "decide", "response_reason"})


def load_partners(folder: Path) -> dict[str, PartnerSettings]:
    """Every partner file in ``folder``; the first file with problems stops with all of them."""
    partners = {}
    for path in sorted(folder.glob("*.yaml")):
        partner = read_partner(path)
        if partner.problems:
            raise ConfigError(str(path), "(partner)", "; ".join(partner.problems))
        partners[partner.id] = partner
    return partners


def read_partner(path: Path) -> PartnerSettings:
    """One partner file; its problems (key: what is wrong) are collected, not raised."""
    raw = read_yaml_mapping(path)
    check = _Checker(path, raw)
    partner = check.partner()
    return PartnerSettings(**{**partner, "problems": tuple(check.problems)})


def checked_partner(path: Path) -> PartnerSettings:
    """One partner file as the console lists it, never raising: a file that is not even a
    YAML mapping is the partner named after the file, with that one problem."""
    try:
        return read_partner(path)
    except GatewayError as exc:
        return PartnerSettings(path.stem, "", "", path, "", "", "", problems=(str(exc),))


class _Checker:
    def __init__(self, path: Path, raw: dict[str, Any]) -> None:
        self.path, self.raw = path, raw
        self.problems: list[str] = []

    def fail(self, key: str, problem: str) -> None:
        self.problems.append(f"{key}: {problem}")

    def partner(self) -> dict[str, Any]:
        self._unknown(self.raw, {"id", "name", "role", "x12", "transport", "schedule",
                                 "timezone", "returns_policy", "status_updates",
                                 "recall_notifications", "documents"})
        partner_id = self._text(self.raw, "id", _ID, "lower-case letters, digits and dashes")
        if partner_id and partner_id != self.path.stem:
            self.fail("id", f"is {partner_id!r} but the file is {self.path.name}: they must match")
        role = str(self.raw.get("role", ""))
        if role not in ROLES:
            self.fail("role", f"is {role!r}; use one of {', '.join(ROLES)}")
        x12 = self._section("x12")
        values: dict[str, Any] = {
            "id": partner_id or self.path.stem, "name": str(self.raw.get("name") or ""),
            "role": role, "source": self.path, **self._x12(x12),
            "timezone": self._timezone(), "transport": self._transport(),
            "returns_policy": self._returns_policy(role),
            "status_updates": self._status_updates(),
            "recall_notifications": self._recall_notifications(),
        }
        values.update(self._schedule())
        values["authority"] = self._documents(values["id"], role)
        self._authority_fits(values)
        return values

    def _unknown(self, raw: dict[Any, Any], known: set[str] | frozenset[str],
                 prefix: str = "") -> None:
        # Keys are sorted as text: YAML may hand us a bare `on` or `yes` as a boolean key.
        for key in sorted(set(raw) - known, key=str):
            self.fail(prefix + str(key), f"is not a known key (known: {', '.join(sorted(known))})")

    def _section(self, key: str) -> dict[str, Any]:
        value = self.raw.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(key, "must be a mapping")
            return {}
        return value

    def _text(self, raw: dict[str, Any], key: str, pattern: re.Pattern[str] | None = None,
              what: str = "", *, prefix: str = "") -> str:
        value = raw.get(key)
        if value is None or str(value).strip() == "":
            self.fail(prefix + key, "is missing")
            return ""
        text = str(value)
        if pattern is not None and not pattern.match(text):
            self.fail(prefix + key, f"is {text!r}; write {what}")
        return text

    def _x12(self, x12: dict[str, Any]) -> dict[str, Any]:
        qualifier = self._text(x12, "isa_qualifier", re.compile(r"^[A-Z0-9]{2}$"),
                               "2 letters or digits", prefix="x12.")
        isa_id = self._text(x12, "isa_id", re.compile(r"^[A-Za-z0-9 .\-]{1,15}$"),
                            "1 to 15 letters, digits, spaces, dots or dashes", prefix="x12.")
        gs_id = self._text(x12, "gs_id", re.compile(r"^.{2,15}$"), "2 to 15 characters",
                           prefix="x12.")
        version = str(x12.get("version", "004010"))
        if version[:4] not in ("0040", "0050"):
            self.fail("x12.version", f"is {version!r}; use 004010 or 005010 (a release of them)")
        self._unknown(x12, {"isa_qualifier", "isa_id", "gs_id", "version", "delimiters",
                            "acks", "strict_envelope", "application_advice"}, "x12.")
        acks = x12.get("acks") or {}
        if not isinstance(acks, dict):
            self.fail("x12.acks", "must be a mapping such as {functional: \"997\", ta1: never}")
            acks = {}
        self._unknown(acks, {"functional", "ta1", "expect_within"}, "x12.acks.")
        functional = self._choice(acks, "functional", FunctionalAck, "x12.acks.")
        ta1 = self._choice(acks, "ta1", Ta1Policy, "x12.acks.")
        return {"isa_qualifier": qualifier, "isa_id": isa_id, "gs_id": gs_id,
                "version": version, "delimiters": self._delimiters(x12),
                "functional_ack": functional or FunctionalAck.ACK_997,
                "ta1": ta1 or Ta1Policy.ON_REQUEST,
                "ack_expected_within": self._duration(acks, "expect_within", "x12.acks."),
                "strict_envelope": self._flag(x12, "strict_envelope", "x12."),
                "application_advice": self._choice(x12, "application_advice", ApplicationAdvice,
                                                  "x12.") or ApplicationAdvice.NONE}

    def _flag(self, raw: dict[str, Any], key: str, prefix: str) -> bool:
        value = raw.get(key, False)
        if not isinstance(value, bool):
            self.fail(prefix + key, f"is {value!r}; write true or false")
            return False
        return value

    def _duration(self, raw: dict[str, Any], key: str, prefix: str) -> timedelta | None:
        if raw.get(key) is None:
            return None
        match = _DURATION.match(str(raw[key]).strip())
        if match is None:
            self.fail(prefix + key, f"is {raw[key]!r}; write a duration such as 30m, 24h or 2d")
            return None
        seconds = int(match[1]) * _SECONDS[match[2]]
        if seconds < 1:
            self.fail(prefix + key, "must be longer than 0")
            return None
        return timedelta(seconds=seconds)

    def _choice(self, raw: dict[str, Any], key: str, kind: Any, prefix: str) -> Any:
        if key not in raw:
            return None
        try:
            return kind(str(raw[key]))
        except ValueError:
            allowed = ", ".join(m.value for m in kind)
            self.fail(prefix + key, f"is {raw[key]!r}; use one of {allowed}")
            return None

    def _delimiters(self, x12: dict[str, Any]) -> Delimiters | None:
        raw = x12.get("delimiters")
        if raw is None:
            return None
        chosen = {k: str(raw.get(k, "")) for k in ("element", "segment", "component")}
        for key, value in chosen.items():
            if len(value) != 1 or value.isalnum() or value == " ":
                self.fail(f"x12.delimiters.{key}", f"is {value!r}; write one punctuation "
                          "character")
        if len(set(chosen.values())) != 3:
            self.fail("x12.delimiters", "element, segment and component must differ")
        return Delimiters(chosen["element"], chosen["component"], chosen["segment"], "^")

    def _timezone(self) -> str:
        zone = str(self.raw.get("timezone", "UTC"))
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            self.fail("timezone", f"is {zone!r}; write a zone such as America/Chicago")
        return zone

    def _transport(self) -> PartnerTransport | None:
        raw = self._section("transport")
        if not raw:
            self.fail("transport", "is missing")
            return None
        kind = str(raw.get("type", ""))
        if kind not in ("sftp", "local"):
            self.fail("transport.type", f"is {kind!r}; use sftp or local")
        inbound = self._folder(raw, "inbound")
        outbound = self._folder(raw, "outbound")
        after = str(raw.get("after_pickup", "delete"))
        if after != "delete" and not after.startswith("move:"):
            self.fail("transport.after_pickup", f"is {after!r}; use delete or move:<folder>")
        elif after != "delete":
            self._check_folder("transport.after_pickup", after.removeprefix("move:"))
        patterns = raw.get("patterns", ["*.edi", "*.x12", "*.xml"])
        if not isinstance(patterns, list) or not patterns:
            self.fail("transport.patterns", "must be a list of file name patterns")
            patterns = []
        sftp = self._sftp(raw) if kind == "sftp" else {}
        return PartnerTransport(kind, inbound, outbound, after_pickup=after,
                         patterns=tuple(str(p) for p in patterns), **sftp)

    def _folder(self, raw: dict[str, Any], key: str) -> str:
        folder = self._text(raw, key, prefix="transport.")
        if folder:
            self._check_folder(f"transport.{key}", folder)
        return folder

    def _check_folder(self, key: str, folder: str) -> None:
        problem = folder_problem(folder, PARTNER_FOLDERS_ANCHOR)
        if problem:
            self.fail(key, problem)

    def _sftp(self, raw: dict[str, Any]) -> dict[str, Any]:
        host = self._text(raw, "host", prefix="transport.")
        username = self._text(raw, "username", prefix="transport.")
        port = raw.get("port", 22)
        if not (isinstance(port, int) and 0 < port < 65536):
            self.fail("transport.port", f"is {port!r}; write a port number 1 to 65535")
            port = 22
        known_hosts = raw.get("known_hosts")
        if not known_hosts:
            self.fail("transport.known_hosts", "is missing: host keys are pinned, an unknown "
                      "host key is refused")
        elif not (self.path.parent.parent / str(known_hosts)).is_file() and \
                not Path(str(known_hosts)).is_file():
            self.fail("transport.known_hosts", f"names {known_hosts}, which does not exist")
        return {"host": host, "port": port, "username": username,
                "private_key": self._secret(raw, "private_key", required=True),
                "passphrase": self._secret(raw, "passphrase", required=False),
                "known_hosts": Path(str(known_hosts)) if known_hosts else None}

    def _secret(self, raw: dict[str, Any], key: str, *, required: bool) -> SecretRef | None:
        return secret_ref(raw.get(key), f"transport.{key}", self.fail, required=required)

    def _schedule(self) -> dict[str, Any]:
        raw = self._section("schedule")
        if set(raw) == {"every"}:
            match = _EVERY.match(str(raw["every"]).strip())
            if match is None:
                self.fail("schedule.every", f"is {raw['every']!r}; write e.g. 60s, 5m or 1h")
                return {}
            seconds = int(match[1]) * {"s": 1, "m": 60, "h": 3600}[match[2]]
            if seconds < 1:
                self.fail("schedule.every", "must be at least 1s")
            return {"every_seconds": seconds}
        if set(raw) == {"cron"}:
            fields = str(raw["cron"]).split()
            if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
                self.fail("schedule.cron", f"is {raw['cron']!r}; write 5 cron fields, e.g. "
                          "'*/5 * * * *'")
                return {}
            return {"cron": str(raw["cron"])}
        self.fail("schedule", "write {every: 60s} or {cron: '*/5 * * * *'}")
        return {}

    # --- returns: policy, status updates, recall notifications --------------------------------
    def _returns_policy(self, role: str) -> ReturnsPolicy | None:
        if self.raw.get("returns_policy") is None:
            return None
        raw = self._section("returns_policy")
        self._unknown(raw, {"rma_prefix", "default", "rules"}, "returns_policy.")
        if role in ROLES and role != "retailer":
            self.fail("returns_policy", f"decides a retailer's 180 return requests; a {role} "
                      "sends none: remove it or make the role retailer")
        prefix = str(raw.get("rma_prefix", "RMA"))
        if not _RMA_PREFIX.match(prefix):
            self.fail("returns_policy.rma_prefix", f"is {prefix!r}; write 1 to 10 upper-case "
                      "letters, digits or dashes starting with a letter (e.g. NW)")
        default = self._choice(raw, "default", Verdict, "returns_policy.")
        return ReturnsPolicy(self._rules(raw.get("rules", [])), default or Verdict.PENDING,
                             prefix)

    def _rules(self, raw_rules: Any) -> tuple[PolicyRule, ...]:
        if not isinstance(raw_rules, list):
            self.fail("returns_policy.rules", "must be a list of rules, e.g. "
                      "- {reasons: [DM], max_quantity: 10, decide: authorize}")
            return ()
        numbered = [(number, rule) for number, raw in enumerate(raw_rules, start=1)
                    if (rule := self._rule(raw, f"returns_policy.rules[{number}]")) is not None]
        self._unreachable_rules(numbered, len(raw_rules))
        return tuple(rule for _, rule in numbered)

    def _rule(self, raw: Any, name: str) -> PolicyRule | None:
        if not isinstance(raw, dict):
            self.fail(name, "must be a mapping such as {reasons: [DM], decide: authorize}")
            return None
        self._unknown(raw, _RULE_KEYS, name + ".")
        decide = self._choice(raw, "decide", Verdict, name + ".")
        if "decide" not in raw:
            self.fail(name + ".decide", "is missing: write authorize, deny or pending")
        rule = PolicyRule(decide or Verdict.PENDING, self._reason_codes(raw, name),
                          self._amount(raw, "max_quantity", name),
                          self._amount(raw, "max_value", name),
                          self._response_reason(raw, name, decide))
        return rule if decide is not None else None

    def _reason_codes(self, raw: dict[str, Any], name: str) -> frozenset[str]:
        value, key = raw.get("reasons"), name + ".reasons"
        if value is None:
            return frozenset()
        if not isinstance(value, list) or not value:
            self.fail(key, "must be a list of X12 1293 return reason codes, e.g. [DM, DA]; "
                      "leave it out for a rule about every reason")
            return frozenset()
        codes = [str(code) for code in value]
        unknown = [code for code in codes if code not in REQUEST_REASON_CODES]
        if unknown:
            self.fail(key, f"{', '.join(unknown)}: not an X12 1293 return reason code; use "
                      f"{', '.join(sorted(REQUEST_REASON_CODES))}")
        return frozenset(code for code in codes if code in REQUEST_REASON_CODES)

    def _amount(self, raw: dict[str, Any], key: str, name: str) -> Decimal | None:
        if key not in raw:
            return None
        value = raw[key]
        try:
            # A boolean is an int to Python; `max_value: yes` is a mistake, not 1.
            number = None if isinstance(value, bool) else Decimal(str(value).strip())
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or number < 0:
            self.fail(f"{name}.{key}", f"is {value!r}; write a number 0 or more")
            return None
        return number

    def _response_reason(self, raw: dict[str, Any], name: str,
                         decide: Verdict | None) -> str | None:
        if raw.get("response_reason") is None:
            return None
        code, key = str(raw["response_reason"]), name + ".response_reason"
        if code not in RESPONSE_REASONS:
            self.fail(key, f"is {code!r}; use an X12 1294 response reason: "
                      f"{', '.join(sorted(RESPONSE_REASONS))}")
            return None
        if decide is Verdict.AUTHORIZE:
            self.fail(key, "is sent with a denial or a pending answer; an authorization needs "
                      "no reason")
            return None
        return code

    def _unreachable_rules(self, numbered: list[tuple[int, PolicyRule]], count: int) -> None:
        # The first rule that applies wins, so nothing after a rule without conditions is ever
        # read: almost certainly an ordering mistake.
        catch_all = next((number for number, rule in numbered if rule.applies_to_every_line),
                         None)
        if catch_all is None:
            return
        for later in range(catch_all + 1, count + 1):
            self.fail(f"returns_policy.rules[{later}]", f"can never apply: rule {catch_all} "
                      "before it has no conditions and decides every line; move it last")

    def _status_updates(self) -> StatusUpdates | None:
        if self.raw.get("status_updates") is None:
            return None
        section: dict[Any, Any] = self._section("status_updates")
        # PyYAML reads a bare `on:` key as the boolean true; inside this section it can only
        # mean "on", so it is read as such rather than refused.
        raw = {"on" if key is True else key: value for key, value in section.items()}
        self._unknown(raw, {"form", "on"}, "status_updates.")
        form = str(raw.get("form") or "")
        if form not in STATUS_FORMS:
            self.fail("status_updates.form", f"{_found(form)}; use one of "
                      f"{', '.join(STATUS_FORMS)}")
        states = self._states(raw.get("on"))
        cannot = [str(state) for state in UPDATE_STATES if state in states & NOT_IN_214]
        if form == "x12-214" and cannot:
            self.fail("status_updates.on", f"lists {', '.join(cannot)}, which a 214 cannot "
                      "carry: a 214 only says where a shipment is (shipped, in-transit, "
                      "delivered); send the others as x12-180 or xml")
        beyond_861 = [str(state) for state in UPDATE_STATES if state in states - IN_861]
        if form == "x12-861" and beyond_861:
            self.fail("status_updates.on", f"lists {', '.join(beyond_861)}, which an 861 "
                      "cannot carry: an 861 says what the return centre received (received); "
                      "send the others as x12-180 or xml")
        return StatusUpdates(form, states)

    def _states(self, value: Any) -> frozenset[CaseState]:
        allowed = ", ".join(UPDATE_STATES)
        if not isinstance(value, list) or not value:
            self.fail("status_updates.on", f"must list the case states this partner hears "
                      f"about, from {allowed}")
            return frozenset()
        names = [str(state) for state in value]
        unknown = [name for name in names if name not in UPDATE_STATES]
        if unknown:
            self.fail("status_updates.on", f"{', '.join(unknown)}: not a state a partner hears "
                      f"about; use {allowed}")
        return frozenset(CaseState(name) for name in names if name in UPDATE_STATES)

    def _recall_notifications(self) -> str:
        if self.raw.get("recall_notifications") is None:
            return "none"
        raw = self._section("recall_notifications")
        self._unknown(raw, {"form"}, "recall_notifications.")
        form = str(raw.get("form") or "")
        if form not in RECALL_FORMS:
            self.fail("recall_notifications.form", f"{_found(form)}; use xml or none")
            return "none"
        return form


    # --- documents: what the partner may send ------------------------------------------------
    def _documents(self, partner_id: str, role: str) -> DocumentAuthority:
        raw = self.raw.get("documents")
        if raw is None:
            return role_authority(partner_id, role)
        if isinstance(raw, list):
            if not raw:
                self.fail("documents", "is empty, so the partner could send nothing but "
                          "acknowledgements; list what it sends, or leave the key out for the "
                          f"{role or 'role'}'s defaults")
            return adjusted_authority(partner_id, role,
                                      exactly=self._document_words(raw, "documents"))
        if not isinstance(raw, dict):
            self.fail("documents", "write the exact list, e.g. [return-request, "
                      "return-shipment], or {allow: [...], deny: [...]} to widen or narrow the "
                      "role's defaults")
            return role_authority(partner_id, role)
        self._unknown(raw, {"allow", "deny"}, "documents.")
        allow = self._document_words(raw.get("allow", []), "documents.allow")
        deny = self._document_words(raw.get("deny", []), "documents.deny")
        if allow & deny:
            self.fail("documents.deny", f"{', '.join(sorted(allow & deny))}: also in "
                      "documents.allow; a document is allowed or denied, not both")
        return adjusted_authority(partner_id, role, exactly=None, allow=allow, deny=deny)

    def _document_words(self, value: Any, key: str) -> frozenset[PartnerDocument]:
        known = ", ".join(PartnerDocument)
        if not isinstance(value, list):
            self.fail(key, f"must be a list of documents from {known}")
            return frozenset()
        words = [str(word) for word in value]
        acks = [word for word in words if word.lower() in ALWAYS_TAKEN]
        if acks:
            self.fail(key, f"{', '.join(acks)}: acknowledgements (997, 999, TA1) are always "
                      "taken from every partner (each answers only what we sent it); leave "
                      "them out")
        unknown = [w for w in words if w not in set(PartnerDocument) and w not in acks]
        if unknown:
            self.fail(key, f"{', '.join(unknown)}: not a document a partner sends; use {known}")
        return frozenset(PartnerDocument(w) for w in words if w in set(PartnerDocument))

    def _authority_fits(self, values: dict[str, Any]) -> None:
        """The other keys must not count on a document the partner may not send."""
        authority: DocumentAuthority = values["authority"]
        needs = [(values["returns_policy"] is not None and values["role"] == "retailer",
                  PartnerDocument.RETURN_REQUEST, "returns_policy decides its"),
                 (values["recall_notifications"] != "none", PartnerDocument.RECALL_RESPONSE,
                  "recall_notifications asks it to answer with")]
        for needed, document, why in needs:
            if needed and document not in authority.allowed:
                self.fail("documents", f"leaves out {document}, but {why} "
                          f"{DESCRIPTIONS[document]}: allow {document}, or drop that key")


def _found(value: str) -> str:
    return f"is {value!r}" if value else "is missing"
