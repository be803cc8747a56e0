"""Use cases the commands (and later the scheduled jobs) share."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import BinaryIO

from gateway.app.events import DocumentRecord
from gateway.app.parted import KeysOf, PartsKeeper
from gateway.domain.authority import PartnerDocument, document_kind
from gateway.mapping.engine import Issue
from gateway.mapping.stream import NotStreamable, streamable, translate_set_streamed
from gateway.mapping.translate import MappingSpec, Translation, collecting_less, translate_set
from gateway.model import CanonicalDocument, Source
from gateway.x12.assess import (
    Assessment,
    GroupResult,
    InterchangeResult,
    Outcome,
    SetResult,
    assess,
)
from gateway.x12.limits import FrontDoorRules

DEFAULT_RULES = FrontDoorRules()
SpecFinder = Callable[[str, str | None], MappingSpec | None]


log = logging.getLogger("gateway.mapping")
# Acknowledgements are matched to what we sent (gateway.app.ingest), never mapped to a document.
ACKNOWLEDGEMENT_SETS = frozenset({"997", "999"})
NO_DOCUMENT = "mapping.no-document"  # the closing finding of a set that was not mapped
MAPPING_FAILED = "mapping.exception"  # the mapping raised: a bug in it or in a transform
# A set too large to map whole, as objects, whose mapping cannot take it a loop at a time
# (limits.whole_set_size): bounded memory first.
SET_TOO_LARGE = "mapping.set-too-large"


@dataclass(frozen=True, slots=True)
class SetTranslation:
    """What became of one transaction set: a document, or the reason there is none."""

    set_id: str
    interchange_control: str
    group_control: str
    set_control: str
    translation: Translation | None
    skipped: str | None = None  # why it was not translated
    # Validation accepted it and it is no acknowledgement: it must become a document.
    expects_document: bool = False
    mapping: str | None = None  # the mapping file(s) it went through
    lines: Mapping[int, int] = field(default_factory=dict)  # segment position -> file line
    version: str | None = None  # its group's GS08
    reference: str | None = None  # the number the set gives itself (BGN02, BSN02, B1001)
    # Its document in stored form, when the caller asked for it (`translate_x12`'s
    # ``prepare``): the objects are then let go as soon as the set is mapped.
    prepared: PreparedDocument | None = None

    @property
    def document(self) -> CanonicalDocument | None:
        return self.translation.document if self.translation else None

    @property
    def issues(self) -> tuple[Issue, ...]:
        return self.translation.issues if self.translation else ()

    @property
    def unmapped(self) -> bool:
        """Accepted by validation, yet no document made without an error: fail closed, a
        half-read document (a quantity refused, a required field missing) is not one."""
        return self.expects_document and (self.translation is None or not self.translation.ok)

    @property
    def usable_document(self) -> CanonicalDocument | None:
        """The document to store and act on; None for an unmapped set."""
        return None if self.unmapped else self.document

    @property
    def document_kind(self) -> PartnerDocument | None:
        """What its usable document is (prepared or not), for its sender's authority."""
        if self.prepared is not None:
            return self.prepared.authority
        document = self.usable_document
        return None if document is None else document_kind(document)

    @property
    def mapping_issues(self) -> tuple[Issue, ...]:
        """Its mapping's issues and, when it is unmapped, a last one saying what that means."""
        return (*self.issues, self._no_document()) if self.unmapped else self.issues

    def _no_document(self) -> Issue:
        errors = sum(1 for i in self.issues if i.severity == "error")
        if self.translation is None:
            what = self.skipped or f"no mapping for transaction set {self.set_id}"
        elif self.document is None:
            what = f"the mapping made no {self.set_id} document"
        else:
            what = (f"the mapping reported {errors} error{'s' * (errors != 1)}, so the "
                    "document it made is not used")
        return Issue(f"transaction set {self.set_id} {self.set_control} was accepted by "
                     f"validation but not mapped: {what}. Nothing of it is stored until the "
                     "mapping is fixed and the file replayed (gateway replay --unmapped)",
                     "", self.mapping or "-", code=NO_DOCUMENT)


@dataclass(frozen=True, slots=True)
class PreparedDocument:
    """A mapped set's document in the form it is stored in, with who may send it."""

    authority: PartnerDocument  # what the document is, for the sender's authority
    record: DocumentRecord


Prepare = Callable[[CanonicalDocument], DocumentRecord]
# A set this large (characters from ST to SE) whose mapping allows it is mapped a loop at a
# time (`gateway.mapping.stream`) when its document is wanted in stored form: its objects
# would take about 17 times the set.
STREAM_SET_CHARS = 1 << 20


@dataclass(frozen=True, slots=True)
class UnmappedSet:
    """A set validation accepted but no document came of it: what an 824 Application Advice
    (`gateway.x12.advice`) needs to tell the partner which document could not be used and
    why: each reason's words, segment tag and position, and its code (``REQUIRED_MISSING``
    is X12 647 "missing data")."""

    set_id: str
    interchange_control: str  # ISA13
    group_control: str  # GS06
    set_control: str  # ST02
    reasons: tuple[Issue, ...]  # the mapping's errors (or, with none, why it was not mapped)
    version: str | None = None  # GS08
    reference: str | None = None  # the set's own number (BGN02, BSN02, B1001), when it has one

    @property
    def messages(self) -> tuple[str, ...]:
        """The reasons in words, each located by segment when it can be."""
        return tuple(_located(i) for i in self.reasons)


def mapping_message(issue: Issue) -> str:
    """An issue as a finding's message (its segment is in the finding's own columns)."""
    return f"mapping {issue.mapping}, rule {issue.rule}: {issue.message}" if issue.rule \
        else issue.message


@dataclass(frozen=True, slots=True)
class FileTranslation:
    assessment: Assessment
    sets: list[SetTranslation] = field(default_factory=list)

    @property
    def documents(self) -> list[CanonicalDocument]:
        return [s.document for s in self.sets if s.document is not None]

    @property
    def usable_documents(self) -> list[CanonicalDocument]:
        """What ingest stores: the documents of the sets that mapped."""
        return [d for s in self.sets if (d := s.usable_document) is not None]

    @property
    def unmapped(self) -> list[SetTranslation]:
        return [s for s in self.sets if s.unmapped]

    def unmapped_sets(self) -> tuple[UnmappedSet, ...]:
        return tuple(UnmappedSet(s.set_id, s.interchange_control, s.group_control,
                                 s.set_control, _reasons(s), s.version, s.reference)
                     for s in self.unmapped)

    @property
    def ok(self) -> bool:
        return bool(self.sets) and all(s.translation is not None and s.translation.ok
                                       for s in self.sets)


def translate_x12(data: bytes | BinaryIO, find_spec: SpecFinder, partner: str | None = None,
                  *, timezone: str = "UTC", rules: FrontDoorRules = DEFAULT_RULES,
                  prepare: Prepare | None = None, keys_of: KeysOf | None = None
                  ) -> FileTranslation:
    """Validate ``data`` (bytes, or a seekable stream kept open while the result is used)
    and map every accepted transaction set to a canonical document. With ``prepare``, each
    document that mapped is turned into its stored form as soon as its set is done and its
    objects let go (`SetTranslation.prepared`): a file of five 20 MB ASNs then holds one
    ASN's objects at a time, and the others as JSON. With ``keys_of`` too (the correlation
    keys of a document), a set over `STREAM_SET_CHARS` whose mapping allows it is mapped a
    loop at a time, its JSON kept on disk, and never becomes objects at all."""
    assessment = assess(data, rules)
    result = FileTranslation(assessment)
    for interchange_result in assessment.interchanges:
        for group_result in interchange_result.groups:
            for set_result in group_result.sets:
                found = (interchange_result, group_result, set_result)
                with collecting_less():  # the document's stored form made too
                    result.sets.append(_one_set(assessment, found, find_spec, partner,
                                                timezone=timezone, rules=rules,
                                                prepare=prepare, keys_of=keys_of))
    return result


def _one_set(assessment: Assessment, found: Found, find_spec: SpecFinder, partner: str | None,
             *, timezone: str, rules: FrontDoorRules, prepare: Prepare | None,
             keys_of: KeysOf | None) -> SetTranslation:
    """One set of `translate_x12`: streamed if it can be, else mapped whole (and prepared)."""
    streamed = None if prepare is None or keys_of is None else \
        _streamed(assessment, found, find_spec, partner, timezone=timezone, keys_of=keys_of)
    translated = streamed or _translate_set(assessment, found, find_spec, partner,
                                            timezone=timezone,
                                            whole_set_bytes=rules.limits.whole_set_bytes)
    return translated if prepare is None or streamed else _prepared(translated, prepare)


def _streamed(assessment: Assessment, found: Found, find_spec: SpecFinder,
              partner: str | None, *, timezone: str, keys_of: KeysOf) -> SetTranslation | None:
    """A big 856 mapped a loop at a time, its document prepared as it comes; None: map it
    whole (not accepted, small, a mapping of another shape, a hierarchy not depth first)."""
    interchange, group, ts = found[0].interchange, found[1].group, found[2].ts
    if ts.end - ts.start < STREAM_SET_CHARS or _why_not(
            found[0].outcome, found[1].outcome, found[2].outcome) is not None:
        return None
    spec = find_spec(ts.set_id, partner)
    if spec is None or not streamable(spec):
        return None
    source = Source(partner, "X12", interchange.control, group.control, ts.control,
                    group.version, spec.name)
    keeper = PartsKeeper(keys_of)
    try:
        mapped = translate_set_streamed(
            spec, assessment.intake.set_segments(interchange, ts), source,
            component_separator=interchange.header.delimiters.component, timezone=timezone,
            watch=keeper)
    except NotStreamable as why:
        keeper.close()
        log.info("transaction set 856 %s is mapped whole: %s", ts.control, why)
        return None
    except Exception:  # a bug in a mapping or transform: mapped whole, it becomes its issue
        keeper.close()
        log.debug("transaction set 856 %s: the streamed mapping raised", ts.control,
                  exc_info=True)
        return None
    translation = Translation(None, mapped.issues, handed_on=mapped.header is not None)
    prepared = None
    if mapped.ok and mapped.header is not None and mapped.json is not None:
        prepared = PreparedDocument(document_kind(mapped.header),
                                    keeper.record(mapped.header, mapped.json))
    else:
        keeper.close()
        if mapped.json is not None:
            mapped.json.close()
    return SetTranslation(ts.set_id, interchange.control, group.control, ts.control,
                          translation, expects_document=True, mapping=spec.name,
                          lines=_lines(assessment, found, translation), version=group.version,
                          reference=_own_number(assessment, found), prepared=prepared)


def _prepared(translated: SetTranslation, prepare: Prepare) -> SetTranslation:
    document = translated.usable_document
    if document is None or translated.translation is None:
        return translated
    handed_on = replace(translated.translation, document=None, handed_on=True)
    return replace(translated, translation=handed_on, prepared=PreparedDocument(
        document_kind(document), prepare(document)))


Found = tuple[InterchangeResult, GroupResult, SetResult]


def _translate_set(assessment: Assessment, found: Found, find_spec: SpecFinder,
                   partner: str | None, *, timezone: str,
                   whole_set_bytes: int) -> SetTranslation:
    """One set: skipped (not accepted, or an acknowledgement) or mapped. Whatever the mapping
    raises is caught here, for this set alone: it becomes a located issue and the file's
    other sets still map."""
    interchange_result, group_result, set_result = found
    interchange, ts = interchange_result.interchange, set_result.ts
    ids = (ts.set_id, interchange.control, group_result.group.control, ts.control)
    why = _why_not(interchange_result.outcome, group_result.outcome, set_result.outcome)
    if why is not None:
        return SetTranslation(*ids, None, why)
    if ts.set_id in ACKNOWLEDGEMENT_SETS:
        return SetTranslation(*ids, None, "an acknowledgement: matched to what we sent")
    # A mapping file that cannot be read is a set-up fault (ConfigError naming file and key):
    # it stops the command, as at start-up, before anything is acknowledged.
    spec = find_spec(ts.set_id, partner)
    size = ts.end - ts.start
    # Only a set no mapping of its kind can take a loop at a time: a big 856 is streamed by
    # ingest (and mapped whole only where a person asked for it: translate, a replay preview).
    if spec is not None and size > whole_set_bytes and not streamable(spec):
        translation: Translation | None = Translation(
            None, (_too_large(size, whole_set_bytes, spec, partner),))
    else:
        translation = _mapped_whole(assessment, found, spec, partner, timezone)
    skipped = f"no mapping for transaction set {ts.set_id}" if spec is None else None
    return SetTranslation(*ids, translation, skipped, expects_document=True,
                          mapping=spec.name if spec else None,
                          lines=_lines(assessment, found, translation),
                          version=group_result.group.version,
                          reference=_own_number(assessment, found))


def _mapped_whole(assessment: Assessment, found: Found, spec: MappingSpec | None,
                  partner: str | None, timezone: str) -> Translation | None:
    try:
        return None if spec is None else _map(assessment, found, spec, partner, timezone)
    except Exception as exc:  # a bug in a mapping or transform must not cost the file
        log.debug("transaction set %s %s (ISA13 %s): the mapping raised", found[2].ts.set_id,
                  found[2].ts.control, found[0].interchange.control, exc_info=True)
        return Translation(None, (_failure(exc, spec, partner),))


def _too_large(size: int, limit: int, spec: MappingSpec, partner: str | None) -> Issue:
    return Issue(f"the set is {size:,} bytes; a set of this kind is mapped whole, in memory, "
                 f"only up to {limit:,} bytes (limits.whole_set_size in config.yaml): it is "
                 "kept, not mapped; raise the limit and replay the file to map it",
                 "(the whole set)", spec.name, partner, code=SET_TOO_LARGE)


# Where each set carries the number its sender knows it by: 180 BGN02, 856 BSN02, 214 B1001,
# 861 BRA01.
_OWN_NUMBER = {"BGN": 2, "BSN": 2, "B10": 1, "BRA": 1}


def _own_number(assessment: Assessment, found: Found) -> str | None:
    segments = assessment.intake.set_segments(found[0].interchange, found[2].ts)
    next(segments, None)  # the ST
    first = next(segments, None)
    if not first or first[0] not in _OWN_NUMBER or len(first) <= _OWN_NUMBER[first[0]]:
        return None
    return first[_OWN_NUMBER[first[0]]].strip() or None


def _map(assessment: Assessment, found: Found, spec: MappingSpec, partner: str | None,
         timezone: str) -> Translation:
    interchange, group, ts = found[0].interchange, found[1].group, found[2].ts
    source = Source(partner, "X12", interchange.control, group.control, ts.control,
                    group.version, spec.name)
    return translate_set(spec, assessment.intake.set_segments(interchange, ts), source,
                         component_separator=interchange.header.delimiters.component,
                         timezone=timezone)


def _failure(exc: Exception, spec: MappingSpec | None, partner: str | None) -> Issue:
    return Issue(f"the mapping failed on this set ({type(exc).__name__}: {exc}); this is a "
                 "bug in the mapping or one of its transforms (the traceback is logged at "
                 "debug level)", "(the whole set)", spec.name if spec else "-", partner,
                 code=MAPPING_FAILED)


def _lines(assessment: Assessment, found: Found,
           translation: Translation | None) -> dict[int, int]:
    """The file line of each segment an issue points at, for a person reading the file."""
    positions = {i.position for i in (translation.issues if translation else ())
                 if i.position}
    if not positions:
        return {}
    offsets = assessment.intake.segment_offsets(found[0].interchange, found[2].ts, positions)
    lines = {position: assessment.intake.line_of(offset)
             for position, offset in offsets.items()}
    return {position: line for position, line in lines.items() if line is not None}


def _reasons(translated: SetTranslation) -> tuple[Issue, ...]:
    errors = tuple(i for i in translated.issues if i.severity == "error")
    return errors or tuple(i for i in translated.mapping_issues if i.code == NO_DOCUMENT)


def _located(issue: Issue) -> str:
    where = f"segment {issue.position} ({issue.tag}): " if issue.position else ""
    return where + issue.message


def _why_not(interchange: Outcome, group: Outcome, transaction: Outcome) -> str | None:
    if interchange is Outcome.REJECTED:
        return "its interchange was rejected (see gateway validate)"
    if group is Outcome.REJECTED:
        return "its functional group was rejected (see gateway validate)"
    if transaction is not Outcome.ACCEPTED:
        return "it was rejected by validation (see gateway validate)"
    return None
