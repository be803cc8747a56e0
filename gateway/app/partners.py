"""A trading partner's settings: the one type the transports, ingest, outbound, the console
and the daemon read about a partner.

`gateway.config.partners` turns ``partners/<id>.yaml`` into a `PartnerSettings`, with every
problem it found (``problems``; a partner with problems is never run with). What the use cases
need in their own terms is derived from it here, never copied field by field: its ISA identity
(`isa`), the acknowledgement policy it asks for (`ack_policy`), the documents it may send
(`document_authority`), where an 824 to it goes (it is a `gateway.x12.write.Receiver`
itself) and the folder its relative paths are read under (`folders_anchor`). Ingest's view is
`gateway.app.ingest.IngestSettings.for_partner`; the outbound use cases read it as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path, PurePosixPath

from gateway.domain.authority import DocumentAuthority, role_authority
from gateway.domain.rma_policy import ReturnsPolicy
from gateway.model.states import CaseState
from gateway.x12.ack import AckPolicy, FunctionalAck, Ta1Policy
from gateway.x12.advice import ApplicationAdvice
from gateway.x12.isa import Delimiters

PARTNER_FOLDERS_ANCHOR = "the folder that holds the partners folder"


@dataclass(frozen=True, slots=True)
class SecretRef:
    """Where a secret is: an environment variable or a file; never the secret itself."""

    env: str | None = None
    file: Path | None = None


@dataclass(frozen=True, slots=True)
class PartnerTransport:
    """How the partner's folders are reached (``transport:`` of its file)."""

    type: str  # sftp | local
    inbound: str
    outbound: str
    host: str | None = None
    port: int = 22
    username: str | None = None
    private_key: SecretRef | None = None
    passphrase: SecretRef | None = None
    known_hosts: Path | None = None
    after_pickup: str = "delete"  # delete | move:<folder>
    patterns: tuple[str, ...] = ("*.edi", "*.x12", "*.xml")


# The X12 forms a status update takes, and the transaction set each is written as; the other
# form is "xml" (our status document).
X12_STATUS_SETS = {"x12-180": "180", "x12-214": "214", "x12-861": "861"}
STATUS_FORMS = (*X12_STATUS_SETS, "xml")


@dataclass(frozen=True, slots=True)
class StatusUpdates:
    """What a partner hears when a return case it is part of moves: in which form
    (`STATUS_FORMS`), on which states."""

    form: str  # x12-180 | x12-214 | x12-861 | xml
    states: frozenset[CaseState]


@dataclass(frozen=True, slots=True)
class PartnerSettings:
    id: str
    name: str
    role: str
    source: Path  # its partner file
    isa_qualifier: str
    isa_id: str
    gs_id: str
    version: str = "004010"
    delimiters: Delimiters | None = None
    functional_ack: FunctionalAck = FunctionalAck.ACK_997
    ta1: Ta1Policy = Ta1Policy.ON_REQUEST
    timezone: str = "UTC"
    transport: PartnerTransport | None = None
    every_seconds: int | None = None
    cron: str | None = None
    returns_policy: ReturnsPolicy | None = None  # a retailer's 180 requests are decided by it
    status_updates: StatusUpdates | None = None
    recall_notifications: str = "none"  # xml | none
    ack_expected_within: timedelta | None = None  # their 997 / 999 is overdue after this
    # true: an envelope X12 does not allow but the gateway can read (an ISA that is not fixed
    # width, ISA ids of the wrong length) is rejected; false: accepted and reported (TA1 'E')
    strict_envelope: bool = False
    # x12-824: a set that passed X12 validation but could not be used is explained in an 824
    application_advice: ApplicationAdvice = ApplicationAdvice.NONE
    # what it may send (``documents``); None: its role's defaults (see `document_authority`)
    authority: DocumentAuthority | None = None
    # what the partner file's checker found wrong, key by key; never run with while not empty
    problems: tuple[str, ...] = field(default=(), compare=False)

    @property
    def isa(self) -> tuple[str, str]:
        """Its ISA qualifier and id: the sender its files must carry, the receiver of ours."""
        return self.isa_qualifier, self.isa_id

    @property
    def document_authority(self) -> DocumentAuthority:
        """The documents this partner may send: its file's ``documents``, else its role's."""
        return self.authority or role_authority(self.id, self.role)

    @property
    def folders_anchor(self) -> Path:
        """What its relative folders and known_hosts are read under: the folder that holds the
        partners folder (with the usual layout, the one config.yaml is in)."""
        return self.source.absolute().parent.parent

    @property
    def status_form(self) -> str | None:
        """The form its status updates take (x12-180, x12-214, xml); None: it hears none."""
        return self.status_updates.form if self.status_updates else None

    def hears_of(self, state: CaseState) -> bool:
        """Whether a case it is part of reaching ``state`` is worth a status update to it."""
        return self.status_updates is not None and state in self.status_updates.states

    def ack_policy(self, defaults: AckPolicy) -> AckPolicy:
        """The gateway's acknowledgement policy as this partner's file overrides it: its
        997 / 999 and TA1 choice, its delimiters, and its ISA identity as the receiver."""
        return replace(defaults, functional=self.functional_ack, ta1=self.ta1,
                       delimiters=self.delimiters, reply_to=self.isa)


def folder_problem(value: str, anchor: str) -> str | None:
    """What keeps ``value`` from being a configured folder, or None. A relative folder is
    read under ``anchor`` (described in words): '..' would let it climb out, so it is refused
    anywhere in the path."""
    if not value.strip() or not value.isprintable():
        return f"is {value!r}; write a folder name of printable characters"
    if ".." in PurePosixPath(value).parts:
        return (f"is {value!r}: '..' is not allowed in a folder; write the folder without it, "
                f"as an absolute path or one under {anchor}")
    return None
