"""Use cases the commands (and later the scheduled jobs) share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from gateway.mapping.engine import Issue
from gateway.mapping.translate import MappingSpec, Translation, translate_set
from gateway.model import CanonicalDocument, Source
from gateway.x12.assess import Assessment, Outcome, assess

_BLANK = b" \t\r\n"
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def is_xml(data: bytes) -> bool:
    """Recall notices come as XML; everything else goes to the X12 front door."""
    if data.startswith(_UTF16_BOMS):
        return True  # X12 is never UTF-16; the recall intake reads UTF-16 XML
    head = data[len(_UTF8_BOM):] if data.startswith(_UTF8_BOM) else data
    return head.lstrip(_BLANK)[:1] == b"<"

SpecFinder = Callable[[str, str | None], MappingSpec | None]


@dataclass(frozen=True, slots=True)
class SetTranslation:
    """What became of one transaction set: a document, or the reason there is none."""

    set_id: str
    interchange_control: str
    group_control: str
    set_control: str
    translation: Translation | None
    skipped: str | None = None  # why it was not translated

    @property
    def document(self) -> CanonicalDocument | None:
        return self.translation.document if self.translation else None

    @property
    def issues(self) -> tuple[Issue, ...]:
        return self.translation.issues if self.translation else ()


@dataclass(frozen=True, slots=True)
class FileTranslation:
    assessment: Assessment
    sets: list[SetTranslation] = field(default_factory=list)

    @property
    def documents(self) -> list[CanonicalDocument]:
        return [s.document for s in self.sets if s.document is not None]

    @property
    def ok(self) -> bool:
        return bool(self.sets) and all(s.translation is not None and s.translation.ok
                                       for s in self.sets)


def translate_x12(data: bytes, find_spec: SpecFinder, partner: str | None = None, *,
                  timezone: str = "UTC") -> FileTranslation:
    """Validate ``data`` and map every accepted transaction set to a canonical document."""
    assessment = assess(data)
    result = FileTranslation(assessment)
    for interchange_result in assessment.interchanges:
        interchange = interchange_result.interchange
        header = interchange.header
        for group_result in interchange_result.groups:
            group = group_result.group
            for set_result in group_result.sets:
                ts = set_result.ts
                ids = (ts.set_id, interchange.control, group.control, ts.control)
                why = _why_not(interchange_result.outcome, group_result.outcome,
                               set_result.outcome)
                spec = find_spec(ts.set_id, partner) if why is None else None
                if why is None and spec is None:
                    why = f"no mapping for transaction set {ts.set_id}"
                if why is not None or spec is None:
                    result.sets.append(SetTranslation(*ids, None, why))
                    continue
                source = Source(partner, "X12", interchange.control, group.control,
                                ts.control, group.version, spec.name)
                translation = translate_set(
                    spec, assessment.intake.set_segments(interchange, ts), source,
                    component_separator=header.delimiters.component, timezone=timezone)
                result.sets.append(SetTranslation(*ids, translation))
    return result


def _why_not(interchange: Outcome, group: Outcome, transaction: Outcome) -> str | None:
    if interchange is Outcome.REJECTED:
        return "its interchange was rejected (see gateway validate)"
    if group is Outcome.REJECTED:
        return "its functional group was rejected (see gateway validate)"
    if transaction is not Outcome.ACCEPTED:
        return "it was rejected by validation (see gateway validate)"
    return None
