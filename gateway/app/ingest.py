"""The ingest pipeline: archive -> record -> validate -> translate -> store, all or nothing.

1. The bytes are archived (content-addressed, fsynced) and the file is recorded in its own
   committed transaction before anything reads it: nothing is ever processed from a file that
   is not kept.
2. The same bytes from the same partner are a duplicate: recorded with the reason, answered as
   the policy says (the earlier acknowledgements again, or nothing), never processed twice.
3. Validation and translation are pure work, done outside any transaction.
4. One transaction then writes the interchanges and sets with their outcomes, every finding,
   the canonical documents and the acknowledgements owed (the outbox), consuming durable
   control numbers, and the events that tell internal systems so (`gateway.app.events`). An
   interchange whose ISA13 this partner already sent inside the duplicate window is held back
   and answered like a duplicate file. A crash leaves all of it or none.

A set validation accepted but its mapping could not turn into a document (a required field
missing, a value the model cannot take, a transform that failed or raised) is *unmapped*: its
mapping issues become located findings (``mapping.*``), the set is stored as not mapped, and a
file accepted otherwise is ``accepted-unmapped``, never plain "accepted". The acknowledgement
still speaks of syntax only (the set's outcome stays the X12 verdict); `IngestResult.unmapped`
carries what an 824 Application Advice would tell the partner.

A document outside its sender's authority (`IngestSettings.authority`, from the partner file's
role and ``documents``; `gateway.domain.authority`) is *refused*: nothing of it is stored, so it
is never folded into a case nor used for recall holds; an ``authority.refused`` finding says
which document (ISA13 / GS06 / ST02, or the notice id) and the rule, and
`IngestResult.refused` carries it to the alert. The 997 still speaks of syntax only (an 824,
when the partner takes them, says the set could not be used and why); a refused recall notice
gets a REJECTED recall-ack. A recall notice version is also refused when an id it claims was
issued by another partner (`gateway.app.cases.notice_issuers`), with or without a partner file.
The file is ``refused`` when nothing of it was stored, ``partially-refused`` when other
documents of it were. Without a partner file (``authority`` None) the role rule is not applied.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import BinaryIO

from gateway.app.ack_matching import reconcile_acknowledgements
from gateway.app.advice import advice_record
from gateway.app.cases import notice_issuers
from gateway.app.cluster import kept_alive
from gateway.app.control_numbers import DurableControlNumbers
from gateway.app.events import (
    DocumentRecord,
    body_reference,
    file_event,
    recipient_responded_event,
    record_document,
    store_document,
    stored_form,
)
from gateway.app.faults import crash_point
from gateway.app.partners import PartnerSettings
from gateway.app.ports import (
    Archive,
    FindingRow,
    IngestStore,
    IngestTransaction,
    KeptFile,
    OutboxItem,
    RecallResponseRow,
    StoredFile,
)
from gateway.app.translate import (
    FileTranslation,
    SetTranslation,
    SpecFinder,
    UnmappedSet,
    mapping_message,
    translate_x12,
)
from gateway.domain.authority import DocumentAuthority, PartnerDocument
from gateway.domain.recall_match import claimed_ids
from gateway.mapping.engine import Issue
from gateway.model import CanonicalDocument, RecallNotice
from gateway.model.canonical_json import to_json
from gateway.model.payload import PayloadKind, contents_kind, xml_bytes
from gateway.model.states import REFUSED_STATES, FileState
from gateway.recall import (
    RecallResponse,
    RecallResult,
    build_recall_ack,
    read_recall,
    read_recall_response,
    xml_document_kind,
)
from gateway.recall.result import error
from gateway.x12.ack import AckPolicy, OutboundAck, build_acknowledgements
from gateway.x12.advice import ApplicationAdvice
from gateway.x12.assess import Assessment, InterchangeResult, Outcome
from gateway.x12.limits import FrontDoorRules
from gateway.x12.report import where_text
from gateway.x12.write import Identity, Receiver

KeyFinder = Callable[[object], Iterable[tuple[str, str]]]
DEFAULT_RULES = FrontDoorRules()
REFUSED = "authority.refused"  # the finding (and recall-ack error) of a refused document


@dataclass(frozen=True, slots=True)
class IngestSettings:
    identity: Identity
    policy: AckPolicy
    duplicate_window: timedelta = timedelta(days=90)
    resend_on_duplicate: bool = True  # answer a duplicate with the earlier acknowledgements
    duplicate_keys: frozenset[str] = frozenset({"isa13"})  # and, by policy, gs06 / st02
    lease: timedelta = timedelta(minutes=10)  # how long a worker may hold a file it processes
    expected_sender: tuple[str, str] | None = None  # the partner's ISA05 / ISA06, when known
    timezone: str = "UTC"  # the partner's zone, for times sent without an X12 time code
    rules: FrontDoorRules = DEFAULT_RULES  # limits per file, strict or lenient envelope
    advice_to: Receiver | None = None  # an 824 for unusable sets goes here (None: none)
    # what the sender may send (its partner file); None: no partner file, nothing refused by
    # role (a recall notice version still must come from the notice's issuer)
    authority: DocumentAuthority | None = None

    def for_partner(self, partner: PartnerSettings) -> IngestSettings:
        """These settings as a partner's file overrides them: its acknowledgements,
        delimiters, time zone and envelope strictness, the sender its files must carry, the
        documents it may send, and its 824s when it asked for them."""
        advice = partner.application_advice is ApplicationAdvice.X12_824
        return replace(self, policy=partner.ack_policy(self.policy), timezone=partner.timezone,
                       expected_sender=partner.isa,
                       rules=replace(self.rules, strict_envelope=partner.strict_envelope),
                       advice_to=partner if advice else None,
                       authority=partner.document_authority)


@dataclass(frozen=True, slots=True)
class RefusedDocument:
    """A document its sender had no authority to send: stored nowhere, answered no further
    than the syntax verdict (a recall notice: a REJECTED recall-ack saying why)."""

    document: PartnerDocument
    rule: str  # why, in words, for the people here (may name another partner)
    told: str  # why, in words, for the partner that sent it
    interchange_control: str | None = None  # ISA13 / GS06 / ST02 of an X12 set
    group_control: str | None = None
    set_control: str | None = None
    set_id: str | None = None
    line: int | None = None  # the file line its ST is on
    notice_id: str | None = None  # an XML document's notice id (a response: the one it quotes)
    subject: str | None = None  # an XML document in words: "recall notice 26-031"

    @property
    def where(self) -> str:
        if self.subject is not None:
            return self.subject
        return (f"transaction set {self.set_id} {self.set_control} (interchange "
                f"{self.interchange_control}, group {self.group_control})")

    def advice(self, translated: SetTranslation) -> UnmappedSet:
        """What an 824 tells the partner of this set: it could not be used, and why."""
        return UnmappedSet(translated.set_id, translated.interchange_control,
                           translated.group_control, translated.set_control,
                           (Issue(self.told, "", "-", code=REFUSED),), translated.version,
                           translated.reference)

    def finding(self) -> FindingRow:
        return FindingRow(
            REFUSED, "error", f"{self.where} refused: {self.rule}; nothing of it is stored or "
            "acted on", interchange_control=self.interchange_control,
            group_control=self.group_control, set_control=self.set_control, line=self.line,
            segment_position=1 if self.set_control else None,
            segment_tag="ST" if self.set_control else None,
            found=self.notice_id or str(self.document))


@dataclass(frozen=True, slots=True)
class FileControls:
    """The control numbers a file's interchanges carried, as they were stored with it: what
    the daemon's log lines and metrics report about a file it took."""

    interchanges: tuple[str, ...] = ()  # ISA13 of each interchange, in file order
    groups: tuple[str, ...] = ()  # GS06 of each group, each once
    sets: tuple[tuple[str, str], ...] = ()  # (ST02, its X12 outcome) of each set

    def as_json(self) -> dict[str, object]:
        return {"interchanges": list(self.interchanges), "groups": list(self.groups),
                "sets": [{"control": st02, "outcome": outcome} for st02, outcome in self.sets]}

    @classmethod
    def of(cls, assessment: Assessment) -> FileControls:
        groups = [g for r in assessment.interchanges for g in r.groups]
        return cls(tuple(r.interchange.control for r in assessment.interchanges),
                   tuple(dict.fromkeys(g.group.control for g in groups)),
                   tuple((s.ts.control, s.outcome.value) for g in groups for s in g.sets))


@dataclass(frozen=True, slots=True)
class IngestResult:
    file_id: int
    state: FileState
    reason: str | None = None
    duplicate_of: int | None = None
    acknowledgements: tuple[OutboxItem, ...] = ()
    documents: int = 0
    unmapped: tuple[UnmappedSet, ...] = ()  # accepted sets no document came of (see above)
    refused: tuple[RefusedDocument, ...] = ()  # documents outside the sender's authority
    # Whose file, under the name the partner gave it: set by `ingest` and `replay`.
    partner: str = ""
    name: str = ""
    controls: FileControls = FileControls()  # empty for XML and for files not read as X12
    never_taken: bool = False  # over limits.file_size: recorded unread, the copy left there


@dataclass(frozen=True, slots=True)
class Ports:
    store: IngestStore
    archive: Archive
    find_spec: SpecFinder
    keys_of: KeyFinder


def ingest(data: bytes, name: str, partner: str, ports: Ports, settings: IngestSettings, *,
           now: datetime) -> IngestResult:
    """Archive, record, check, translate and store one file of ``partner``'s, with its
    acknowledgements queued, in one transaction after the archive (module docstring)."""
    sha256, key = ports.archive.put(data)
    return ingest_kept(KeptFile(sha256, key, len(data)), name, partner, ports, settings,
                       now=now, data=data)


def ingest_kept(kept: KeptFile, name: str, partner: str, ports: Ports,
                settings: IngestSettings, *, now: datetime,
                data: bytes | None = None) -> IngestResult:
    """`ingest` of a file the archive already keeps (a download lands there directly:
    `Archive.put_stream`). Its bytes are read from the archive: whole when small (or given
    as ``data``), else as a stream a chunk at a time, so a file of any size is never held."""
    return replace(_ingest(kept, name, partner, ports, settings, now=now, data=data),
                   partner=partner, name=name)


HELD_WHOLE_BYTES = 4 << 20  # a file up to this size is read into memory; a bigger one streamed


def _ingest(kept: KeptFile, name: str, partner: str, ports: Ports, settings: IngestSettings,
            *, now: datetime, data: bytes | None) -> IngestResult:
    sha256, key = kept.sha256, kept.key
    crash_point("after-archive")
    with ports.store.transaction() as tx:
        earlier = tx.file_by_sha256(partner, sha256)
        if earlier is not None and earlier.state == FileState.RECEIVED:
            if earlier.lease_until is not None and earlier.lease_until > now:
                return IngestResult(earlier.id, FileState.IN_PROGRESS,
                                    f"file #{earlier.id} with the same bytes is being "
                                    f"processed (until {earlier.lease_until:%H:%M:%S}); "
                                    "leave this copy for a later poll")
            file_id, earlier = earlier.id, None  # its worker died: resume that record
            tx.renew_lease(file_id, now + settings.lease)
        else:
            file_id = tx.record_file(partner, name, sha256=sha256, size=kept.size,
                                     received_at=now, archive_key=key,
                                     lease_until=now + settings.lease)
    crash_point("after-record")
    run = _FileRun(file_id, partner, name, ports, settings, now)
    if earlier is not None:
        return run.duplicate(earlier.id, f"the same bytes as file #{earlier.id} "
                             f"({earlier.original_name}), received "
                             f"{earlier.received_at:%Y-%m-%d %H:%M}")
    with kept_contents(ports.archive, kept, data) as contents, \
            kept_alive(lambda: _renew_lease(ports.store, file_id, settings.lease),
                       every=settings.lease.total_seconds() / 3, enabled=bool(settings.lease)):
        return run.contents(contents)


def _renew_lease(store: IngestStore, file_id: int, lease: timedelta) -> None:
    """The file's lease moved on while it is processed (a file that takes longer than
    ``processing.lease_seconds`` is not taken up by another node meanwhile)."""
    with store.transaction() as tx:
        tx.renew_lease(file_id, datetime.now(UTC) + lease)


@contextmanager
def kept_contents(archive: Archive, kept: KeptFile,
                  data: bytes | None = None) -> Iterator[bytes | BinaryIO]:
    """The kept file's bytes, or (a big one) the archive's stream of them, open while the
    file is processed: a streamed intake reads its sets from it until the end."""
    if data is not None:
        yield data
    elif kept.size <= HELD_WHOLE_BYTES:
        yield archive.get(kept.key)
    else:
        with archive.open(kept.key) as stream:
            yield stream


@dataclass(frozen=True, slots=True)
class _FileRun:
    """Steps 2 to 4 for one recorded file."""

    file_id: int
    partner: str
    name: str  # as the partner named the file
    ports: Ports
    settings: IngestSettings
    now: datetime
    replaying: bool = False  # re-derive sets, findings and documents; answer nothing again

    @property
    def _xml_bytes(self) -> int:
        return self.settings.rules.limits.xml_bytes

    def _finish(self, tx: IngestTransaction, state: FileState, reason: str | None, *,
                duplicate_of: int | None = None, controls: FileControls | None = None) -> None:
        """The file's state, and the event that says so, in the same transaction."""
        tx.finish_file(self.file_id, state, processed_at=self.now, reason=reason,
                       duplicate_of=duplicate_of)
        tx.add_event(file_event(self.file_id, self.partner, self.name, state, reason=reason,
                                at=self.now, controls=controls.as_json() if controls else None,
                                replayed=self.replaying, duplicate_of=duplicate_of))

    def contents(self, contents: bytes | BinaryIO) -> IngestResult:
        """Steps 3 and 4 for the file's contents: an XML document, or X12."""
        if contents_kind(contents) is PayloadKind.XML:
            return self.xml(xml_bytes(contents, self._xml_bytes))
        settings = self.settings
        return self.x12(translate_x12(contents, self.ports.find_spec, self.partner,
                                      timezone=settings.timezone, rules=settings.rules,
                                      prepare=self.prepare, keys_of=self.ports.keys_of))

    def duplicate(self, earlier_id: int, reason: str) -> IngestResult:
        with self.ports.store.transaction() as tx:
            # Answers still waiting in the outbox will go out anyway: copying them would send
            # them twice. Only answers already sent are sent again.
            answers = tx.outbox_of(earlier_id, sent_only=True) \
                if self.settings.resend_on_duplicate else []
            for item in answers:
                tx.add_outbox(self.file_id, self.partner, item, self.now)
            self._finish(tx, FileState.DUPLICATE, reason, duplicate_of=earlier_id)
        return IngestResult(self.file_id, FileState.DUPLICATE, reason, earlier_id,
                            tuple(answers))

    def xml(self, data: bytes) -> IngestResult:
        """A recall notice (answered with a recall-ack) or an affected partner's response to
        a notification of ours (recorded against it)."""
        if xml_document_kind(data, max_bytes=self._xml_bytes) == "recall-response":
            return self.recall_response(data)
        return self.recall(data)

    def recall_response(self, data: bytes) -> IngestResult:
        result = read_recall_response(data, max_bytes=self._xml_bytes)
        rows = [FindingRow(p.code, p.severity.value, p.message, line=p.line, found=p.path)
                for p in result.errors]
        refused = None if result.response is None else self._refused_response(result.response)
        state = FileState.ACCEPTED if result.response is not None else FileState.REJECTED
        with self.ports.store.transaction() as tx:
            if self.replaying:
                tx.clear_results(self.file_id)
            if refused is not None:
                state = FileState.REFUSED
                rows.append(refused.finding())
            elif result.response is not None:
                state = self._record_response(tx, result.response, rows)
            tx.add_findings(self.file_id, rows)
            reason = refused.rule if refused is not None else \
                next((r.message for r in rows if r.severity == "error"), None)
            self._finish(tx, state, reason)
        return IngestResult(self.file_id, state, reason,
                            refused=() if refused is None else (refused,))

    def _record_response(self, tx: IngestTransaction, response: RecallResponse,
                         rows: list[FindingRow]) -> FileState:
        """Record the answer against our notification (saying so in ``rows``); the state."""
        answered = tx.record_recall_response(_response_row(response, self.partner),
                                             self.file_id)
        if answered is None:
            rows.append(FindingRow(
                "recall.unknown-notification", "error",
                f"the response names notification {response.notification_id}, "
                f"which this gateway never sent to {self.partner}"))
            return FileState.REJECTED
        tx.add_event(recipient_responded_event(
            answered, self.partner, response.notification_id, status=str(response.status),
            responded_at=response.responded_at, units_found=_text(response.units_found),
            units_returned=_text(response.units_returned), note=response.note, at=self.now,
            file_id=self.file_id))
        if answered != response.notice_id:
            rows.append(FindingRow(
                "recall.notice-mismatch", "warning",
                f"the response quotes notice {response.notice_id}, but "
                f"notification {response.notification_id} was about notice "
                f"{answered}: recorded against {answered}"))
        return FileState.ACCEPTED

    def recall(self, data: bytes) -> IngestResult:
        result = read_recall(data, max_bytes=self._xml_bytes)
        refused = self._refused_notice(result.notice) \
            if result.accepted and result.notice is not None else None
        ack_id = f"RGW-{self.file_id:09d}"
        item = OutboxItem("recall-ack", ack_id,
                          result.notice.notice_id if result.notice else None,
                          build_recall_ack(_answered(result, refused), received_at=self.now,
                                           ack_id=ack_id))
        state = FileState.REFUSED if refused else \
            FileState.ACCEPTED if result.accepted else FileState.REJECTED
        with self.ports.store.transaction() as tx:
            if self.replaying:
                tx.clear_results(self.file_id)
            tx.add_findings(self.file_id, [
                FindingRow(p.code, p.severity.value, p.message, line=p.line, found=p.path)
                for p in result.errors] + ([refused.finding()] if refused else []))
            documents = 0
            if result.accepted and result.notice is not None and refused is None:
                self._save_document(tx, to_json(result.notice), result.notice)
                documents = 1
            if not self.replaying:
                tx.add_outbox(self.file_id, self.partner, item, self.now)
            self._finish(tx, state, refused.rule if refused else None)
        answered = () if self.replaying else (item,)
        return IngestResult(self.file_id, state, refused.rule if refused else None,
                            acknowledgements=answered, documents=documents,
                            refused=() if refused is None else (refused,))

    def _role_refusal(self, document: PartnerDocument) -> str | None:
        """Why the sender's role (and partner file) does not let it send ``document``."""
        authority = self.settings.authority
        return None if authority is None else authority.refusal(document)

    def _refused_response(self, response: RecallResponse) -> RefusedDocument | None:
        why = self._role_refusal(PartnerDocument.RECALL_RESPONSE)
        if why is None:
            return None
        return RefusedDocument(PartnerDocument.RECALL_RESPONSE, why, why,
                               notice_id=response.notice_id,
                               subject=f"recall response to notification "
                                       f"{response.notification_id}")

    def _refused_notice(self, notice: RecallNotice) -> RefusedDocument | None:
        """A notice its sender's role does not allow, or a version of a notice another partner
        issued (a new version, an update or a cancellation comes from the issuer only)."""
        subject = f"recall notice {notice.notice_id}"
        why = self._role_refusal(PartnerDocument.RECALL_NOTICE)
        if why is not None:
            return RefusedDocument(PartnerDocument.RECALL_NOTICE, why, why,
                                   notice_id=notice.notice_id, subject=subject)
        issuers = notice_issuers(d for d in self.ports.store.documents_of_kind("recall-notice")
                                 if d.file_id != self.file_id)  # a replay meets its own
        for claimed in sorted(claimed_ids(notice)):
            issuer = issuers.get(claimed)
            if issuer is not None and issuer != self.partner:
                only = ("only its issuer may send a new version, an update or a cancellation "
                        "of it; a new notice needs an id of its own")
                return RefusedDocument(
                    PartnerDocument.RECALL_NOTICE, f"notice {claimed} was issued by {issuer}; "
                    + only, f"notice {claimed} was issued by another partner; " + only,
                    notice_id=notice.notice_id, subject=subject)
        return None

    def x12(self, result: FileTranslation) -> IngestResult:
        assessment = result.assessment
        stranger = _foreign_sender(assessment, self.settings.expected_sender)
        if stranger is not None:
            return self._refuse(assessment, stranger)
        with self.ports.store.transaction() as tx:
            if self.replaying:
                tx.clear_results(self.file_id)
            seen = {} if self.replaying else _already_seen(
                tx, assessment, self.partner, self.now - self.settings.duplicate_window,
                self.settings.duplicate_keys)
            fresh = [r for r in assessment.interchanges if r.interchange.control not in seen]
            answers = [] if self.replaying else build_acknowledgements(
                replace(assessment, interchanges=fresh), self.settings.identity,
                self.settings.policy, DurableControlNumbers(tx, self.partner), self.now)
            items = [OutboxItem(_kind(a), a.control_number, a.acknowledges,
                                a.text.encode("latin-1")) for a in answers]
            fresh_sets = [s for s in result.sets if s.interchange_control not in seen]
            # Sets that passed validation but did not map: what an 824 would tell the partner.
            unmapped = replace(result, sets=fresh_sets).unmapped_sets()
            lines = _st_lines(assessment)
            judged = [(s, _set_refusal(s, self.settings.authority, lines)) for s in fresh_sets]
            refused = [r for _, r in judged if r is not None]
            self._save_interchanges(tx, assessment, seen, result.sets)
            tx.add_findings(self.file_id, _finding_rows(assessment))
            tx.add_findings(self.file_id, mapping_rows(fresh_sets))
            # A replay re-states what the acknowledgements said but changes nothing we sent:
            # the partner's answer was recorded when it arrived.
            tx.add_findings(self.file_id, reconcile_acknowledgements(
                tx, replace(assessment, interchanges=fresh), self.partner, self.file_id,
                self.now, record=not self.replaying))
            tx.add_findings(self.file_id, [r.finding() for r in refused])
            documents = self._save_documents(tx, [s for s, r in judged if r is None])
            held = self._earlier_answers(tx, seen)
            for item in [*items, *held]:
                tx.add_outbox(self.file_id, self.partner, item, self.now)
            unusable = [*unmapped, *(r.advice(s) for s, r in judged if r is not None)]
            if unusable and self.settings.advice_to is not None and not self.replaying:
                tx.queue_outbound(self.file_id, self.partner, advice_record(
                    unusable, self.file_id, identity=self.settings.identity,
                    address=self.settings.advice_to,
                    numbers=DurableControlNumbers(tx, self.partner), now=self.now), self.now)
            crash_point("mid-transaction")
            state, reason = _with_refusals(_file_state(assessment, seen, fresh_sets), refused,
                                           stored=documents)
            self._finish(tx, state, reason, controls=FileControls.of(assessment))
        crash_point("after-commit")
        return IngestResult(self.file_id, state, reason,
                            acknowledgements=tuple(items + held), documents=documents,
                            unmapped=unmapped, refused=tuple(refused),
                            controls=FileControls.of(assessment))

    def _refuse(self, assessment: Assessment, reason: str) -> IngestResult:
        """A file claiming another sender is not this partner's: it is kept and recorded, but
        nothing in it is processed or answered (an answer would go to the wrong party)."""
        with self.ports.store.transaction() as tx:
            if self.replaying:
                tx.clear_results(self.file_id)
            tx.add_findings(self.file_id, [FindingRow("partner.sender-mismatch", "error",
                                                      reason), *_finding_rows(assessment)])
            self._finish(tx, FileState.REJECTED, reason)
        return IngestResult(self.file_id, FileState.REJECTED, reason)

    def _save_interchanges(self, tx: IngestTransaction, assessment: Assessment,
                           seen: dict[str, int], translated: list[SetTranslation]) -> None:
        """Each interchange and set with its X12 outcome; a set also says whether it mapped
        (None: no document was due, or it was held back as a duplicate)."""
        mapping = iter(translated)  # translate_x12 lists the sets in this same order
        for result in assessment.interchanges:
            header = result.interchange.header
            duplicate = result.interchange.control in seen
            interchange_id = tx.add_interchange(
                self.file_id, self.partner, ordinal=result.interchange.ordinal,
                sender=header.sender, receiver_id=header.receiver[1],
                control_number=result.interchange.control, version=header.version,
                outcome="duplicate" if duplicate else result.outcome.value,
                received_at=self.now)
            for group in result.groups:
                g = group.group
                for s in group.sets:
                    mapped = _mapped(next(mapping), s.ts.control)
                    tx.add_set(interchange_id, (g.functional_id, g.control, g.version,
                                                group.outcome.value),
                               s.ts.set_id, s.ts.control, s.outcome.value,
                               mapped=None if duplicate else mapped)

    def _save_documents(self, tx: IngestTransaction, translated: list[SetTranslation]) -> int:
        """The documents of the sets that mapped (an unmapped set's half-made one is not),
        each prepared as its set was mapped (`prepare`)."""
        prepared = [s.prepared for s in translated if s.prepared is not None]
        for document in prepared:
            store_document(tx, self.file_id, self.partner, document.record, at=self.now)
        return len(prepared)

    def prepare(self, document: CanonicalDocument) -> DocumentRecord:
        """A mapped set's document in stored form (`translate_x12`'s ``prepare``)."""
        return stored_form(document, self.ports.keys_of)

    def _save_document(self, tx: IngestTransaction, body: dict[str, object],
                       document: object) -> None:
        record_document(tx, self.file_id, self.partner, body=body, reference=body_reference(body),
                        keys=self.ports.keys_of(document), at=self.now)

    def _earlier_answers(self, tx: IngestTransaction, seen: dict[str, int]) -> list[OutboxItem]:
        """A held-back interchange is answered with what its first arrival was answered."""
        if not seen or not self.settings.resend_on_duplicate:
            return []
        return [item for control, earlier in seen.items()
                for item in tx.outbox_of(earlier, sent_only=True) if item.answers == control]


def _response_row(response: RecallResponse, partner: str) -> RecallResponseRow:
    return RecallResponseRow(response.notification_id, partner, response.responded_at,
                             response.status, _text(response.units_found),
                             _text(response.units_returned), response.note)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _foreign_sender(assessment: Assessment, expected: tuple[str, str] | None) -> str | None:
    """Why the file cannot be this partner's, when an interchange names another sender."""
    if expected is None:
        return None
    for result in assessment.interchanges:
        sender = result.interchange.header.sender
        if (sender[0].upper(), sender[1].upper()) != (expected[0].upper(), expected[1].upper()):
            return (f"interchange {result.interchange.control} is from {sender[0]}/{sender[1]}, "
                    f"not from this partner ({expected[0]}/{expected[1]}): a partner's folder "
                    "cannot carry another sender's files")
    return None


def _kind(answer: OutboundAck) -> str:
    """TA1, 997, 999, or TA1+997 when a TA1 travels with functional acknowledgements."""
    return "+".join((["TA1"] if answer.ta1 else []) + list(answer.functional))


def _already_seen(tx: IngestTransaction, assessment: Assessment, partner: str,
                  since: datetime, keys: frozenset[str]) -> dict[str, int]:
    """Interchanges this partner already sent within the window (by ISA13, and by policy by
    any GS06 or ST01/ST02 they carry), with the file that carried them first."""
    seen = {}
    for result in assessment.interchanges:
        earlier = _earlier_file(tx, result, partner, since, keys)
        if earlier is not None:
            seen[result.interchange.control] = earlier
    return seen


def _earlier_file(tx: IngestTransaction, result: InterchangeResult, partner: str,
                  since: datetime, keys: frozenset[str]) -> int | None:
    interchange = result.interchange
    if "isa13" in keys:
        earlier = tx.interchange_seen(partner, interchange.header.sender[1],
                                      interchange.control, since)
        if earlier is not None:
            return earlier
    for group in interchange.groups:
        if "gs06" in keys and (earlier := tx.group_seen(partner, group.control, since)):
            return earlier
        for ts in group.sets:
            if "st02" in keys and (earlier := tx.set_seen(partner, ts.set_id, ts.control,
                                                          since)):
                return earlier
    return None


def _mapped(translated: SetTranslation, control: str) -> bool | None:
    if translated.set_control != control:  # a bug, never the partner's data
        raise AssertionError(f"set {control} was translated as {translated.set_control}")
    return not translated.unmapped if translated.expects_document else None


def mapping_rows(sets: Iterable[SetTranslation]) -> list[FindingRow]:
    """Each mapping issue of each set as a finding located by ISA13 / GS06 / ST02 and
    segment; an unmapped set's last finding says so (``mapping.no-document``)."""
    return [FindingRow(issue.code, issue.severity, mapping_message(issue),
                       interchange_control=s.interchange_control, group_control=s.group_control,
                       set_control=s.set_control, line=s.lines.get(issue.position or 0),
                       segment_position=issue.position, segment_tag=issue.tag)
            for s in sets for issue in s.mapping_issues]


def _finding_rows(assessment: Assessment) -> list[FindingRow]:
    return [FindingRow(
        x.code, x.severity.value, x.message, str(x.x12) if x.x12 else None,
        x.location.isa13, x.location.gs06, x.location.st02,
        assessment.intake.line_of(x.location.offset), x.location.segment_position,
        x.location.segment_tag, x.location.element_position, x.location.element_number,
        x.found, x.expected) for x in assessment.all_findings()]



def _file_state(assessment: Assessment, seen: dict[str, int],
                translated: list[SetTranslation]) -> tuple[FileState, str | None]:
    if assessment.exit_code == 2:
        return FileState.NOT_X12, next((x.message for x in assessment.findings), None)
    fresh: list[InterchangeResult] = [r for r in assessment.interchanges
                                      if r.interchange.control not in seen]
    if assessment.interchanges and not fresh:
        return FileState.DUPLICATE, "interchange control number(s) " + ", ".join(
            f"{c} (already in file #{f})" for c, f in seen.items()) + " seen before"
    unmapped = [s for s in translated if s.unmapped]
    if assessment.accepted and unmapped:
        return FileState.ACCEPTED_UNMAPPED, _unmapped_reason(unmapped)
    if assessment.accepted:
        return FileState.ACCEPTED, None
    first = next((x for x in assessment.all_findings() if x.is_error), None)
    reason = f"{where_text(assessment, first)}: {first.message}" if first else None
    sets = [s for r in fresh for g in r.groups for s in g.sets]
    if any(s.outcome is Outcome.ACCEPTED for s in sets):
        return FileState.PARTIALLY_ACCEPTED, reason
    return FileState.REJECTED, reason


def _set_refusal(translated: SetTranslation, authority: DocumentAuthority | None,
                 lines: dict[tuple[str, str, str], int]) -> RefusedDocument | None:
    """The refusal of a set whose document is outside its sender's authority; None when the
    set made no document, or the sender may send it (or has no partner file)."""
    kind = translated.document_kind
    if kind is None or authority is None:
        return None
    why = authority.refusal(kind)
    if why is None:
        return None
    return RefusedDocument(kind, why, why, translated.interchange_control,
                           translated.group_control, translated.set_control,
                           translated.set_id, line=lines.get((
                               translated.interchange_control, translated.group_control,
                               translated.set_control)))


def _st_lines(assessment: Assessment) -> dict[tuple[str, str, str], int]:
    """The file line of each set's ST, by ISA13 / GS06 / ST02: where a refusal points."""
    found = {}
    for result in assessment.interchanges:
        for group in result.groups:
            for s in group.sets:
                line = assessment.intake.line_of(s.ts.start)
                if line is not None:
                    found[(result.interchange.control, group.group.control, s.ts.control)] = line
    return found


def _with_refusals(verdict: tuple[FileState, str | None], refused: list[RefusedDocument], *,
                   stored: int) -> tuple[FileState, str | None]:
    """A refusal outweighs the X12 verdict: the file is ``refused`` when nothing of it was
    stored, ``partially-refused`` when other documents of it were."""
    if not refused or verdict[0] in (FileState.NOT_X12, FileState.DUPLICATE):
        return verdict
    first = refused[0]
    more = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
    return (FileState.PARTIALLY_REFUSED if stored else FileState.REFUSED,
            f"{first.where} refused{more}: {first.rule}")


def _answered(result: RecallResult, refused: RefusedDocument | None) -> RecallResult:
    """What the coordinator is told: a refused notice is rejected, with the rule in words."""
    if refused is None:
        return result
    return replace(result, errors=(*result.errors, error(REFUSED, refused.told)))


def _unmapped_reason(unmapped: list[SetTranslation]) -> str:
    first = unmapped[0]
    error = next(i for i in first.mapping_issues if i.severity == "error")
    where = f" (segment {error.position}, {error.tag})" if error.position else ""
    more = f" and {len(unmapped) - 1} more" if len(unmapped) > 1 else ""
    return (f"transaction set {first.set_id} {first.set_control}{more} not mapped: "
            f"{mapping_message(error)}{where}")


@dataclass(frozen=True, slots=True)
class ReplayPreview:
    """What `replay` would make of an archived X12 file, worked out without storing anything:
    `gateway replay --dry-run` shows it beside what is stored."""

    state: FileState
    reason: str | None
    documents: list[dict[str, object]]  # the canonical JSON it would store
    findings: list[FindingRow]  # its mapping findings: why a set would not map


def preview_replay(data: bytes | BinaryIO, partner: str, ports: Ports,
                   settings: IngestSettings) -> ReplayPreview:
    result = translate_x12(data, ports.find_spec, partner, timezone=settings.timezone,
                           rules=settings.rules)
    stranger = _foreign_sender(result.assessment, settings.expected_sender)
    if stranger is not None:
        return ReplayPreview(FileState.REJECTED, stranger, [], mapping_rows(result.sets))
    lines = _st_lines(result.assessment)
    judged = [(s, _set_refusal(s, settings.authority, lines)) for s in result.sets]
    refused = [r for _, r in judged if r is not None]
    documents = [to_json(d) for s, r in judged if r is None and (d := s.usable_document)]
    state, reason = _with_refusals(_file_state(result.assessment, {}, result.sets), refused,
                                   stored=len(documents))
    return ReplayPreview(state, reason, documents,
                         mapping_rows(result.sets) + [r.finding() for r in refused])


def replay(file: StoredFile, ports: Ports, settings: IngestSettings, *,
           now: datetime) -> IngestResult:
    """Run an archived file through the current grammars and mappings again, in place: its
    sets, findings, documents and state are rewritten in one transaction; no acknowledgement
    is queued and no control number consumed (the partner already has its answer). A file
    refused for its sender's authority stays as it is unless replayed with its partner's
    settings: without them, nothing could refuse it again."""
    if file.state in REFUSED_STATES and settings.authority is None:
        return IngestResult(file.id, file.state, f"{file.reason or 'refused'} (replay it with "
                            f"the partner file of {file.partner}, which says what it may send)")
    run = _FileRun(file.id, file.partner, file.original_name, ports, settings, now,
                   replaying=True)
    with kept_contents(ports.archive,
                       KeptFile(file.sha256, file.archive_key, file.size)) as contents:
        result = run.contents(contents)
    return replace(result, partner=file.partner, name=file.original_name)
