"""The one X12 writer: every interchange the gateway sends is enveloped here.

Acknowledgements (`gateway.x12.ack`: 997, 999, TA1) and our own documents (the 180 / 214 of
`gateway.x12.outbound`, the 824 of `gateway.x12.advice`) only build what goes between ST and SE;
this module owns the rest, so both kinds follow the same rules:

* the delimiters we write with (`writing_delimiters`): the partner's own, echoed, unless the
  partner file gives others; refused when they cannot work (`separator_problem`, one role
  each), with one rule for the repetition separator (theirs when it is free, else the first
  free one of ``^{}!```). An acknowledgement falls back to `DEFAULT_DELIMITERS` instead
  (`answer_delimiters`): a file rejected for its delimiters still gets its TA1;
* ISA / GS / ST / SE / GE / IEA with their counts, and the control numbers, drawn from one
  `ControlNumbers` (`SequentialControlNumbers`, or the store's durable counters);
* cleaning: every element we write, partner-derived or ours, is cleaned against those
  delimiters (`clean_value`: a character outside the X12 character sets, or one of our
  delimiters, becomes '?'), so no value can split an element, a segment or the envelope.
  Composites are tuples of components, joined here with the component separator.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from gateway.x12.isa import Delimiters, IsaHeader, separator_problem
from gateway.x12.values import X12_CHARACTERS, is_alnum, is_digits

DEFAULT_DELIMITERS = Delimiters(element="*", component=">", segment="~", repetition="^")
MAX_CONTROL = 999_999_999  # ISA13 and GS06 hold at most nine digits
_ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1)  # ISA01..ISA15; ISA16 is 1 char
_REPETITION_CHOICES = "^{}!`"

Element = str | tuple[str, ...]  # a tuple is a composite: its components, in order
Segment = Sequence[Element]
SetBody = tuple[str, Sequence[Sequence[str]]]  # (ST01 set id, body segments without ST/SE)


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the gateway is on the wire: ISA05/ISA06 and GS02 of everything it sends."""

    isa_qualifier: str
    isa_id: str
    gs_id: str


class Receiver(Protocol):
    """Whom one of our interchanges goes to: the partner's ISA qualifier and id (ISA07/08),
    its GS id (GS03) and the delimiters it reads (a partner's settings are one)."""

    @property
    def isa(self) -> tuple[str, str]: ...

    @property
    def gs_id(self) -> str: ...

    @property
    def delimiters(self) -> Delimiters | None: ...


class ControlNumbers(Protocol):
    """Hands out the ISA13 and GS06 of what we send: `SequentialControlNumbers` for commands
    and tests, the store's durable per-partner counters (`gateway.app.control_numbers`)."""

    def next_interchange(self) -> int: ...

    def next_group(self) -> int: ...


@dataclass(slots=True)
class SequentialControlNumbers:
    """In-memory counters starting where the caller says (for commands and tests); after
    999,999,999 they start again at 1, as the store's durable counters do."""

    interchange: int = 1
    group: int = 1

    def next_interchange(self) -> int:
        value, self.interchange = self.interchange, self.interchange % MAX_CONTROL + 1
        return value

    def next_group(self) -> int:
        value, self.group = self.group, self.group % MAX_CONTROL + 1
        return value


def render(segments: Iterable[Sequence[str]], delimiters: Delimiters,
           *, line_break: bool = False) -> str:
    """Join segments with ``delimiters``; trailing empty elements are dropped (ISA excepted)."""
    end = delimiters.segment + ("\n" if line_break and delimiters.segment != "\n" else "")
    parts = []
    for segment in segments:
        values = list(segment)
        if values[0] != "ISA":
            while len(values) > 1 and values[-1] == "":
                values.pop()
        parts.append(delimiters.element.join(values) + end)
    return "".join(parts)


def isa_segment(elements: Sequence[str], delimiters: Delimiters) -> list[str]:
    """An ISA with each of ISA01..ISA15 padded or cut to its fixed width, ISA16 the separator."""
    if len(elements) != 15:
        raise ValueError("isa_segment takes ISA01..ISA15")
    fixed = [_fit(value, width, numeric=index in (12,))
             for index, (value, width) in enumerate(zip(elements, _ISA_WIDTHS, strict=True),
                                                    start=1)]
    return ["ISA", *fixed, delimiters.component]


def _fit(value: str, width: int, *, numeric: bool) -> str:
    if numeric:
        return value[-width:].rjust(width, "0")
    return value[:width].ljust(width)


def x12_date(moment: datetime, *, century: bool = True) -> str:
    return moment.strftime("%Y%m%d" if century else "%y%m%d")


def x12_time(moment: datetime) -> str:
    return moment.strftime("%H%M")


def clean_value(value: str, delimiters: Delimiters, limit: int) -> str:
    """A copy of partner data safe to embed in an element of any version we write: characters
    outside the X12 character sets, and our delimiters, become '?'."""
    return _Cleaner.for_delimiters(delimiters).clean(value)[:limit]


def echoable(value: str, delimiters: Delimiters) -> bool:
    """Whether ``value`` comes out exactly as the partner sent it (no '?' in it): a number we
    echo (ST02, a convention) must, or it would name something else."""
    return _Cleaner.for_delimiters(delimiters).clean(value) == value


@dataclass(frozen=True, slots=True)
class _Cleaner:
    allowed: frozenset[str]
    component: str

    @classmethod
    def for_delimiters(cls, delimiters: Delimiters) -> _Cleaner:
        return cls(X12_CHARACTERS - set("".join(delimiters.all())), delimiters.component)

    def clean(self, value: str) -> str:
        # Same length out as in: '?' stands for each character the partner could not read.
        if self.allowed.issuperset(value):
            return value
        return "".join(c if c in self.allowed else "?" for c in value)

    def element(self, value: Element) -> str:
        if isinstance(value, tuple):
            return self.component.join(self.clean(part) for part in value)
        return self.clean(value)


# --- delimiters -------------------------------------------------------------------------------
def writing_delimiters(wanted: Delimiters) -> Delimiters:
    """``wanted`` (the partner's, or those its partner file gives) as we write with them, with
    a repetition separator that collides with none of them.

    Raises ``ValueError`` when they cannot work: an element or component separator that is not
    one character or that `separator_problem` refuses, a terminator holding a letter, digit,
    blank or NUL, or two roles sharing a character."""
    singles = (wanted.element, wanted.component)
    if any(len(d) != 1 or separator_problem(d) for d in singles):
        raise ValueError(f"unusable element/component separator in {wanted!r}")
    segment = wanted.segment
    # A multi-byte terminator such as '…' arrives as latin-1 characters ('â', 0x80, 0xA6);
    # control characters (RS, GS, US...) are fine: large carriers use them (isa.py).
    if not segment or any(separator_problem(c, terminator=True) for c in segment):
        raise ValueError(f"unusable segment terminator in {wanted!r}")
    if wanted.element == wanted.component or any(d in segment for d in singles):
        raise ValueError(f"delimiters must be distinct: {wanted!r}")
    return Delimiters(wanted.element, wanted.component, segment, _repetition(wanted))


def _repetition(wanted: Delimiters) -> str:
    """Their repetition separator when it is free, else the first free one of ours."""
    taken = {wanted.element, wanted.component, *wanted.segment}
    theirs = wanted.repetition
    if (theirs is not None and len(theirs) == 1 and theirs not in taken
            and not separator_problem(theirs)):
        return theirs
    free = next((c for c in _REPETITION_CHOICES if c not in taken), None)
    if free is None:
        raise ValueError(f"no repetition separator is free beside {wanted!r}")
    return free


def answer_delimiters(theirs: Delimiters, configured: Delimiters | None) -> Delimiters:
    """What an acknowledgement is written with: the partner file's delimiters when it gives
    them, else the partner's own; `DEFAULT_DELIMITERS` when those cannot be written with (an
    interchange rejected for its delimiters still gets its TA1)."""
    try:
        return writing_delimiters(configured or theirs)
    except ValueError:
        return DEFAULT_DELIMITERS


def reply_address(header: IsaHeader, ours: Delimiters) -> tuple[str, str] | None:
    """The partner's ISA05/ISA06 to answer to, when they can be written exactly with the
    delimiters *our* answer uses (which differ from theirs when a partner file sets them):
    never an id that splits our ISA, nor one cleaned into another party's id."""
    qualifier, their_id = header.sender
    forbidden = set("".join(header.delimiters.all())) | set("".join(ours.all()))
    usable = (len(qualifier) == 2 and is_alnum(qualifier) and 0 < len(their_id) <= 15
              and set(their_id) <= X12_CHARACTERS - forbidden)
    return (qualifier, their_id) if usable else None


# --- the interchange --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class OutgoingSet:
    set_id: str  # ST01
    body: Sequence[Segment]  # the segments between ST and SE
    convention: str | None = None  # ST03 (the 005010 implementation convention), if any


@dataclass(frozen=True, slots=True)
class OutgoingGroup:
    functional_id: str  # GS01
    receiver: str  # GS03, the partner's application id
    version: str  # GS08, as written
    control: int  # GS06 (and GE02)
    sets: Sequence[OutgoingSet]  # numbered ST02 0001, 0002... in this order


@dataclass(frozen=True, slots=True)
class OutgoingHeader:
    sender: Identity  # our ISA05/06, and GS02 of every group
    receiver: tuple[str, str]  # the partner's ISA07 qualifier and ISA08 id
    version: str  # ISA12: 00401, 00501...
    control: int  # ISA13 (and IEA02)
    ack_requested: bool = False  # ISA14
    usage: str = "P"  # ISA15


def write_x12(header: OutgoingHeader, groups: Sequence[OutgoingGroup], delimiters: Delimiters,
              at: datetime, *, preface: Sequence[Segment] = (), line_break: bool = False) -> str:
    """One interchange: the ISA, the ``preface`` segments (a TA1), each group (GS, its sets
    with ST02 0001, 0002... and SE counts, GE counting its sets), IEA counting the groups.

    ``delimiters`` come from `writing_delimiters` or `answer_delimiters`; every element is
    cleaned against them. Raises ``ValueError`` for an envelope we could not write correctly
    (a GS01 or ST01 of the wrong shape, a group without sets or with more than 9999, control
    numbers out of range, ISA15 not P, T or I)."""
    _check_structure(header, groups)
    cleaner = _Cleaner.for_delimiters(delimiters)
    control = f"{header.control:09d}"
    segments: list[Segment] = [*preface]
    for group in groups:
        segments.extend(_group(group, header.sender, at))
    segments.append(["IEA", str(len(groups)), control])
    cleaned = [[cleaner.element(value) for value in segment] for segment in segments]
    return render([_isa(header, delimiters, control, at, cleaner), *cleaned], delimiters,
                  line_break=line_break)


def _check_structure(header: OutgoingHeader, groups: Sequence[OutgoingGroup]) -> None:
    bad_id = next((g.functional_id for g in groups if not (
        len(g.functional_id) == 2 and g.functional_id.isascii() and g.functional_id.isalpha())),
        None)
    problems = [
        (bad_id is None, f"GS01 must be 2 letters, not {bad_id!r}"),
        (all(g.sets for g in groups), "an interchange needs at least one transaction set"),
        (all(len(s.set_id) == 3 and is_digits(s.set_id) for g in groups for s in g.sets),
         "ST01 must be 3 digits"),
        (1 <= header.control <= MAX_CONTROL, "ISA13 must be 1 to 999999999"),
        (all(1 <= g.control <= MAX_CONTROL for g in groups), "GS06 must be 1 to 999999999"),
        (all(len(g.sets) <= 9999 for g in groups), "ST02 numbering allows at most 9999 sets"),
        (header.usage in ("P", "T", "I"), "ISA15 must be P, T or I"),
    ]
    _refuse_first(problems)


def _refuse_first(problems: Iterable[tuple[bool, str]]) -> None:
    why = next((why for ok, why in problems if not ok), None)
    if why is not None:
        raise ValueError(why)


def _isa(header: OutgoingHeader, delimiters: Delimiters, control: str, at: datetime,
         cleaner: _Cleaner) -> list[str]:
    # ISA11 is the standards identifier U before 00402 and the repetition separator after.
    isa11 = "U" if header.version < "00402" else (delimiters.repetition or "^")
    sender, (qualifier, their_id) = header.sender, header.receiver
    return isa_segment([
        "00", "", "00", "", cleaner.clean(sender.isa_qualifier), cleaner.clean(sender.isa_id),
        cleaner.clean(qualifier), cleaner.clean(their_id), x12_date(at, century=False),
        x12_time(at), isa11, header.version, control, "1" if header.ack_requested else "0",
        header.usage], delimiters)


def _group(group: OutgoingGroup, sender: Identity, at: datetime) -> list[Segment]:
    control = str(group.control)
    segments: list[Segment] = [["GS", group.functional_id, sender.gs_id, group.receiver,
                                x12_date(at), x12_time(at), control, "X", group.version]]
    for number, transaction in enumerate(group.sets, start=1):
        st02 = f"{number:04d}"
        convention = [transaction.convention] if transaction.convention else []
        segments.append(["ST", transaction.set_id, st02, *convention])
        segments.extend(transaction.body)
        segments.append(["SE", str(len(transaction.body) + 2), st02])
    segments.append(["GE", str(len(group.sets)), control])
    return segments


# --- our documents: one group, addressed by an `Envelope` ---------------------------------------
@dataclass(frozen=True, slots=True)
class Envelope:
    """How one of our documents (180, 214, 824...) is addressed and numbered."""

    sender: Identity  # our ISA05/06 and GS02
    receiver: tuple[str, str]  # the partner's ISA07 qualifier and ISA08 id
    receiver_gs: str  # the partner's GS03
    version: str  # GS08: "004010", "004010VICS", "005010"...; ISA12 is derived (00401, 00501)
    delimiters: Delimiters  # the partner's (DEFAULT_DELIMITERS when they gave none)
    interchange_control: int  # ISA13, from the caller's `ControlNumbers`
    group_control: int  # GS06
    ack_requested: bool = False  # ISA14
    usage: str = "P"  # ISA15

    @classmethod
    def numbered(cls, numbers: ControlNumbers, sender: Identity, receiver: Receiver,
                 version: str) -> Envelope:
        """An envelope from ``sender`` to ``receiver`` whose ISA13 and GS06 are the next of
        ``numbers``, with the receiver's delimiters (`DEFAULT_DELIMITERS` when it gives none)."""
        return cls(sender, receiver.isa, receiver.gs_id, version,
                   receiver.delimiters or DEFAULT_DELIMITERS,
                   numbers.next_interchange(), numbers.next_group())


@dataclass(frozen=True, slots=True)
class OutboundInterchange:
    """What was written, and the numbers to match the partner's TA1 / 997 / 999 against."""

    text: str
    interchange_control: str  # ISA13 as written (9 digits)
    group_control: str  # GS06 as written
    set_controls: tuple[str, ...]  # ST02 of each set, in order


def interchange(functional_id: str, sets: Sequence[SetBody], env: Envelope, at: datetime, *,
                line_break: bool = False) -> str:
    """The text of one interchange holding one functional group of ``sets``."""
    return write_interchange(functional_id, sets, env, at, line_break=line_break).text


def write_interchange(functional_id: str, sets: Sequence[SetBody], env: Envelope, at: datetime,
                      *, line_break: bool = False) -> OutboundInterchange:
    """One interchange, one functional group, the ``sets`` numbered ST02 0001, 0002, ...

    Raises ``ValueError`` for an envelope we could not write correctly (unusable delimiters,
    an unsupported version, control numbers out of range, no sets, ids that do not fit)."""
    delimiters = writing_delimiters(env.delimiters)
    isa12 = _isa_version(env.version)
    _check_addresses(env)
    qualifier, their_id = env.receiver
    header = OutgoingHeader(env.sender, (qualifier.strip(), their_id.strip()), isa12,
                            env.interchange_control, env.ack_requested, env.usage)
    group = OutgoingGroup(functional_id, env.receiver_gs.strip(), env.version.strip().upper(),
                          env.group_control, [OutgoingSet(set_id, body) for set_id, body in sets])
    text = write_x12(header, [group], delimiters, at, line_break=line_break)
    return OutboundInterchange(text, f"{env.interchange_control:09d}", str(env.group_control),
                               tuple(f"{n:04d}" for n in range(1, len(sets) + 1)))


def _isa_version(version: str) -> str:
    """ISA12 for a GS08 release: 004010VICS -> 00401. Only the families we have grammars for."""
    release = version.strip().upper()
    if not (len(release) <= 12 and is_digits(release[:6]) and release[:4] in ("0040", "0050")
            and (release[6:] == "" or is_alnum(release[6:]))):
        raise ValueError(f"cannot write version {version!r}: 0040xx or 0050xx expected")
    return release[:5]


def _check_addresses(env: Envelope) -> None:
    """Ids of the sizes X12 gives them. (An acknowledgement answers to what the partner sent,
    checked by `reply_address`, and keeps a partner's short GS02 as its GS03.)"""
    problems = [
        (len(env.sender.isa_qualifier) == 2 and len(env.receiver[0].strip()) == 2,
         "ISA05 / ISA07 qualifiers are 2 characters"),
        (0 < len(env.sender.isa_id) <= 15 and 0 < len(env.receiver[1].strip()) <= 15,
         "ISA06 / ISA08 ids are 1 to 15 characters"),
        (2 <= len(env.sender.gs_id) <= 15 and 2 <= len(env.receiver_gs.strip()) <= 15,
         "GS02 / GS03 are 2 to 15 characters"),
    ]
    _refuse_first(problems)
