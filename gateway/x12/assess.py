"""From bytes to verdicts: envelope findings plus content validation, judged per level.

``assess(data)`` is the front door's single entry point. It reads the envelope, validates each
supported transaction set against our grammars, and decides an outcome for every transaction set,
functional group and interchange, which the acknowledgement builder and the reports then use.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import BinaryIO

from gateway.x12 import findings as f
from gateway.x12.code_lists import CodeWatch
from gateway.x12.envelope import DEFAULT_RULES, read_intake
from gateway.x12.fast import validate_sets_fast
from gateway.x12.findings import Finding, Level, Location
from gateway.x12.limits import Deadline, FrontDoorRules
from gateway.x12.sets import FUNCTIONAL_IDS, Grammar, SetContent, grammar_for
from gateway.x12.structure import FunctionalGroup, Intake, Interchange, TransactionSet
from gateway.x12.text import FileKind, Text
from gateway.x12.totals import CttTally


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    PARTIALLY_ACCEPTED = "partially-accepted"  # some sets of a group rejected
    REJECTED = "rejected"
    NOT_VALIDATED = "not-validated"  # its group's version is not supported


@dataclass(slots=True)
class SetResult:
    ts: TransactionSet
    findings: list[Finding]
    outcome: Outcome


@dataclass(slots=True)
class GroupResult:
    group: FunctionalGroup
    grammar: Grammar | None
    sets: list[SetResult]
    findings: list[Finding]
    outcome: Outcome

    @property
    def is_acknowledgement(self) -> bool:
        """A group of 997/999s: never answered with another 997."""
        if self.sets:  # routed by ST01, like everything else: GS01 may be wrong
            return all(s.ts.set_id in ("997", "999") for s in self.sets)
        return self.group.functional_id.strip() == "FA"


@dataclass(slots=True)
class InterchangeResult:
    interchange: Interchange
    groups: list[GroupResult]
    findings: list[Finding]
    outcome: Outcome

    def interchange_errors(self) -> list[Finding]:
        """Errors that reject the whole interchange (TA1 note codes), wherever they sit."""
        return [x for x in self.all_findings() if x.rejects(Level.INTERCHANGE)]

    def all_findings(self) -> Iterator[Finding]:
        yield from self.findings
        for group in self.groups:
            yield from group.findings
            for s in group.sets:
                yield from s.findings


@dataclass(slots=True)
class Assessment:
    intake: Intake
    interchanges: list[InterchangeResult]
    findings: list[Finding] = field(default_factory=list)  # about the file as a whole

    @property
    def accepted(self) -> bool:
        return self.intake.kind is FileKind.X12 and bool(self.interchanges) and not any(
            x.is_error for x in self.all_findings()) and all(
            i.outcome is Outcome.ACCEPTED for i in self.interchanges)

    @property
    def exit_code(self) -> int:
        """0 all accepted, 1 anything rejected, 2 not X12 at all (the `gateway validate` code)."""
        if self.intake.kind is FileKind.NOT_X12:
            return 2
        return 0 if self.accepted else 1

    def all_findings(self) -> Iterator[Finding]:
        yield from self.findings
        for interchange in self.interchanges:
            yield from interchange.all_findings()


def assess(data: bytes | BinaryIO, rules: FrontDoorRules = DEFAULT_RULES, *,
           clock: Callable[[], float] = time.monotonic) -> Assessment:
    """Read, validate and judge one file under ``rules`` (limits, strict envelope); ``clock``
    times the file's validation budget (tests inject their own). ``data`` is the file's
    bytes or a seekable binary stream of them, read in chunks (`read_intake`): the stream
    must stay open while the assessment is used (its sets are read from it)."""
    intake = read_intake(data, rules)
    content = _validate_file(intake, Deadline(rules.limits.seconds, clock), rules.engine)
    results = [_assess_interchange(intake, ic, content) for ic in intake.interchanges]
    return Assessment(intake, results, list(intake.findings))


_SetKey = tuple[int, int, int]  # interchange, group and set ordinals


def _validate_file(intake: Intake, deadline: Deadline,
                   engine: str) -> dict[_SetKey, list[Finding]]:
    """Validate every set we have a grammar for with ``engine``, all sets of one grammar family
    of the file in one run; sets we cannot validate get the finding that says why."""
    results: dict[_SetKey, list[Finding]] = {}
    watches: dict[_SetKey, _ContentWatch] = {}
    by_family: dict[str, list[tuple[_SetKey, SetContent]]] = defaultdict(list)
    for interchange in intake.interchanges:
        for group in interchange.groups:
            if grammar_for(group.version) is None:
                continue  # the group is rejected for its version; no set is read
            for ts in group.sets:
                key = (interchange.ordinal, group.ordinal, ts.ordinal)
                grammar = grammar_for(group.version, ts.set_id)
                if ts.skip_validation:
                    results[key] = []
                elif _validatable(ts.set_id, grammar):
                    assert grammar is not None
                    content = _content(intake, interchange, group, ts)
                    watch = watches[key] = _ContentWatch(grammar, content)
                    if engine == "fast":  # it reads each set once, and the watch with it
                        content = replace(content, observer=watch.feed)
                    else:
                        watch.read(content.segments())
                    by_family[grammar.family].append((key, content))
                else:
                    results[key] = [_not_supported(interchange, group, ts)]
    for family, jobs in by_family.items():
        found = validate_sets(engine, family, [content for _key, content in jobs], deadline)
        for (key, _), result in zip(jobs, found, strict=True):
            results[key] = [*result, *watches[key].findings()]
    return results


ENGINES = ("fast", "pyx12")
_HELD_SET_CHARACTERS = 256 * 1024


def validate_sets(engine: str, family: str, sets: Sequence[SetContent],
                  deadline: Deadline) -> list[list[Finding]]:
    """The findings of each set, from the engine the configuration names (pyx12 is imported
    only when it is the one)."""
    if engine == "pyx12":
        from gateway.x12.validate import validate_sets as pyx12_validate_sets  # noqa: PLC0415
        return pyx12_validate_sets(family, sets, deadline)
    if engine != "fast":
        raise ValueError(f"unknown validation engine {engine!r}; expected one of {ENGINES}")
    return validate_sets_fast(family, sets, deadline)


class _ContentWatch:
    """What a set's content says that is worth an admin's look but no rejection: control
    totals that disagree, and codes we do not know for the version (only when the group's
    version is the grammar's own: a 004030 code is no news in a 004030 group). Fed a segment
    at a time, by the fast engine as it validates (one read of the set for both) or here."""

    def __init__(self, grammar: Grammar, content: SetContent) -> None:
        self.totals = CttTally(content.set_id, content.location)
        self.codes = CodeWatch(grammar.family, content.set_id,
                               (content.component, content.repetition),
                               content.location) if grammar.exact else None

    def feed(self, position: int, values: list[str]) -> None:
        self.totals.feed(position, values)
        if self.codes is not None:
            self.codes.feed(position, values)

    def read(self, segments: Iterator[list[str]]) -> None:
        for position, values in enumerate(segments, start=1):
            self.feed(position, values)

    def findings(self) -> list[Finding]:
        return [*self.totals.findings(), *(self.codes.warnings if self.codes else [])]


def _validatable(set_id: str, grammar: Grammar | None) -> bool:
    if set_id not in FUNCTIONAL_IDS or grammar is None:
        return False
    return set_id != "999" or grammar.family == "005010"


def _assess_interchange(intake: Intake, interchange: Interchange,
                        content: dict[_SetKey, list[Finding]]) -> InterchangeResult:
    groups = [_assess_group(intake, interchange, g, content) for g in interchange.groups]
    findings = list(interchange.findings)
    rejected = any(x.rejects(Level.INTERCHANGE) for x in interchange.all_findings())
    return InterchangeResult(interchange, groups, findings,
                             Outcome.REJECTED if rejected else Outcome.ACCEPTED)


def _assess_group(intake: Intake, interchange: Interchange, group: FunctionalGroup,
                  content: dict[_SetKey, list[Finding]]) -> GroupResult:
    findings = list(group.findings)
    where = interchange.where().within(group=group.ordinal, gs06=group.control, segment_tag="GS")
    grammar = grammar_for(group.version)
    if grammar is None:
        findings.append(f.group_error(
            "group.version-not-supported", f.AK9_VERSION_NOT_SUPPORTED,
            f"Version {group.version or '(empty)'} in GS08 is not supported: the gateway has "
            "grammars for 004010 (with VICS/UCS) and 005010, and validates 0040xx / 0050xx "
            "releases against the nearest one.", where.within(element_position=8),
            expected="004010 or 005010 family", found=group.version))
        sets = [SetResult(ts, list(ts.findings), Outcome.NOT_VALIDATED) for ts in group.sets]
        return GroupResult(group, None, sets, findings, Outcome.REJECTED)
    findings.extend(_version_notes(group, grammar, where))
    sets = [_judge_set(ts, _located(intake, interchange, ts, content.get(
        (interchange.ordinal, group.ordinal, ts.ordinal), []))) for ts in group.sets]
    return GroupResult(group, grammar, sets, findings, _group_outcome(findings, sets))


def _version_notes(group: FunctionalGroup, grammar: Grammar, where: Location) -> list[Finding]:
    notes = []
    if not grammar.exact:
        notes.append(f.warning(
            "group.version-approximated",
            f"Version {group.version} has no grammar of its own; it was validated against "
            f"{grammar.family}.", where.within(element_position=8),
            expected=grammar.family, found=group.version))
    expected_ids = {FUNCTIONAL_IDS.get(ts.set_id) for ts in group.sets} - {None}
    if group.functional_id.strip() not in expected_ids and expected_ids:
        notes.append(f.warning(
            "group.functional-id-mismatch",
            f"GS01 is {group.functional_id!r} but the group carries "
            f"{', '.join(sorted({ts.set_id for ts in group.sets}))}; each set was routed by ST01.",
            where.within(element_position=1), expected="/".join(sorted(expected_ids)),  # type: ignore[arg-type]
            found=group.functional_id))
    return notes


def _content(intake: Intake, interchange: Interchange, group: FunctionalGroup,
             ts: TransactionSet) -> SetContent:
    delimiters = interchange.header.delimiters
    if ts.end - ts.start <= _HELD_SET_CHARACTERS:
        # A small set is read once and held: its totals, code lists, bounds and validation
        # each walk it, and reading it again each time would cost more than the walks.
        held = list(intake.set_segments(interchange, ts))
        segments: Callable[[], Iterator[list[str]]] = lambda: iter(held)  # noqa: E731
    else:  # a big one is read again for each walk, so it never sits in lists
        segments = lambda: intake.set_segments(interchange, ts)  # noqa: E731
    return SetContent(ts.set_id, segments,
                      _characters(intake.source.text, ts.start, ts.end),
                      _set_location(interchange, group, ts), delimiters.component,
                      delimiters.repetition)


def _characters(text: Text, start: int, end: int, chunk: int = 1 << 20) -> frozenset[str]:
    """Every character in ``text[start:end]``, read in slices so no copy of a big set is made."""
    seen: set[str] = set()
    for at in range(start, end, chunk):
        seen.update(text[at:min(at + chunk, end)])
    return frozenset(seen)


def _set_location(interchange: Interchange, group: FunctionalGroup,
                  ts: TransactionSet) -> Location:
    return interchange.where().within(group=group.ordinal, gs06=group.control,
                                      transaction=ts.ordinal, st02=ts.control)


def _not_supported(interchange: Interchange, group: FunctionalGroup,
                   ts: TransactionSet) -> Finding:
    return f.set_error(
        "set.not-supported", f.AK5_NOT_SUPPORTED,
        f"Transaction set {ts.set_id or '(empty)'} is not one the gateway handles in version "
        f"{group.version} (it takes 180, 856, 214 and 997, and 999 in 005010).",
        _set_location(interchange, group, ts).within(segment_tag="ST", segment_position=1,
                                                     element_position=1),
        found=ts.set_id)


def _located(intake: Intake, interchange: Interchange, ts: TransactionSet,
             found: list[Finding]) -> list[Finding]:
    """Give content findings (located by segment position only) their place in the file."""
    wanted = {x.location.segment_position for x in found
              if x.location.offset is None and x.location.segment_position}
    if not wanted:
        return found
    offsets = intake.segment_offsets(interchange, ts, {p for p in wanted if p is not None})
    return [_at_offset(x, offsets, ts.first_segment) for x in found]


def _at_offset(finding: Finding, offsets: dict[int, int], first_segment: int) -> Finding:
    position = finding.location.segment_position
    if finding.location.offset is not None or position not in offsets:
        return finding
    where = finding.location.within(offset=offsets[position],
                                    file_segment=first_segment + position - 1)
    return replace(finding, location=where)


def _judge_set(ts: TransactionSet, content: list[Finding]) -> SetResult:
    findings = [*ts.findings, *content]
    rejected = any(x.rejects(level) for x in findings
                   for level in (Level.TRANSACTION, Level.SEGMENT, Level.ELEMENT))
    return SetResult(ts, findings, Outcome.REJECTED if rejected else Outcome.ACCEPTED)


def _group_outcome(findings: list[Finding], sets: list[SetResult]) -> Outcome:
    if any(x.rejects(Level.GROUP) for x in findings):
        return Outcome.REJECTED
    rejected = sum(s.outcome is not Outcome.ACCEPTED for s in sets)
    if rejected == 0:
        return Outcome.ACCEPTED
    return Outcome.REJECTED if rejected == len(sets) else Outcome.PARTIALLY_ACCEPTED
