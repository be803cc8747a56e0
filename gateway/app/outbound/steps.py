"""Steps of a return case that no partner document proves: goods received at the dock, the
case closed. A person records them (``gateway rma receive|close``); the partners of the case
that subscribe hear about them like any other move."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gateway.app.case_events import record_events_of
from gateway.app.cases import case_step_body, cases_for
from gateway.app.events import record_document
from gateway.app.outbound.status import Transition, status_updates_of
from gateway.app.outbound.terms import Outbound
from gateway.model.states import CaseState


class StepError(ValueError):
    """The step cannot be recorded; the message says why, for a person."""


@dataclass(frozen=True, slots=True)
class RecordedStep:
    case_id: str
    state: CaseState
    at: datetime
    already: bool  # the case was in that state: nothing recorded
    updates: tuple[Transition, ...] = ()


def record_case_step(context: Outbound, reference: str, state: CaseState, *, note: str,
                     now: datetime) -> RecordedStep:
    """Record ``state`` on the one case ``reference`` names, then queue the status updates."""
    view = cases_for(context.store, reference)
    if len(view.cases) != 1:
        problem = "no return case" if not view.cases else f"{len(view.cases)} return cases"
        raise StepError(f"{reference!r} names {problem}; name exactly one")
    case = view.cases[0]
    if case.state is state:
        return RecordedStep(case.case_id, state, now, already=True)
    with context.store.transaction() as tx:
        record_document(tx, None, "gateway",
                        body=case_step_body(state, now, note, {k.value for k in case.keys}),
                        reference=reference[:80],
                        keys=[(key.kind.value, key.value) for key in case.keys], at=now,
                        direction="internal")
    view = cases_for(context.store, reference)  # with the step: one fold for both
    updates = status_updates_of(context, view, now, seen=set())
    record_events_of(context.store, view, now, seen=set())
    return RecordedStep(case.case_id, state, now, already=False, updates=tuple(updates))
