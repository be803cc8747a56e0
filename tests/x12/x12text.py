"""Building small X12 files in tests, with counts right unless a test breaks them on purpose."""

from __future__ import annotations

ISA = ("ISA*00*          *00*          *ZZ*PARTNER        *ZZ*RLGATEWAY      "
       "*240102*1300*U*00401*{control}*{ack}*P*>~")

BODY_214 = [
    "B10*PRO12345*BOL777*ABCD",
    "N1*SH*ACME RETURNS",
    "LX*1",
    "AT7*X3*NS***20240102*1300*LT",
    "MS1*DALLAS*TX*US",
    "AT8*G*L*120*4",
]


def transaction(set_id: str = "214", control: str = "0001", body: list[str] | None = None,
                *, se_count: int | None = None, se_control: str | None = None) -> list[str]:
    body = BODY_214 if body is None else body
    count = len(body) + 2 if se_count is None else se_count
    return [f"ST*{set_id}*{control}", *body, f"SE*{count}*{se_control or control}"]


def group(sets: list[list[str]], *, control: str = "1", functional_id: str = "QM",
          version: str = "004010", ge_count: int | None = None,
          ge_control: str | None = None) -> list[str]:
    segments = [f"GS*{functional_id}*PARTNER*RLGATEWAY*20240102*1300*{control}*X*{version}"]
    for ts in sets:
        segments.extend(ts)
    count = len(sets) if ge_count is None else ge_count
    return [*segments, f"GE*{count}*{ge_control or control}"]


def interchange(groups: list[list[str]], *, control: str = "000000001", ack: str = "0",
                iea_count: int | None = None, iea_control: str | None = None) -> str:
    segments = [ISA.format(control=control, ack=ack)[:-1]]
    for g in groups:
        segments.extend(g)
    count = len(groups) if iea_count is None else iea_count
    segments.append(f"IEA*{count}*{iea_control or control}")
    return "~".join(segments) + "~"


def simple(**changes: object) -> bytes:
    """One 214 in one group in one interchange."""
    return interchange([group([transaction()])], **changes).encode("latin-1")  # type: ignore[arg-type]
