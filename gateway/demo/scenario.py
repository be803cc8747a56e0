"""The demo's story: partners drop files over SFTP, the gateway takes and answers them.

Each step is what one party does (a partner uploads a file, a person decides), followed by
gateway rounds until nothing is left to do, so every line printed belongs to its step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from gateway.app.outbound.decisions import operator_decide
from gateway.app.outbound.status import queue_status_updates
from gateway.app.outbound.steps import record_case_step
from gateway.bootstrap import local_now
from gateway.demo import documents
from gateway.demo.documents import RMA, StoryClock
from gateway.demo.gateway_loop import GatewayLoop
from gateway.demo.partner_side import PartnerClient
from gateway.demo.progress import Progress, answer_line
from gateway.domain.rma_policy import Verdict
from gateway.model.states import CaseState

NORTHWIND_997_CONTROL = 105  # the retailer's own ISA13 for its 997 (unused by its samples)


@dataclass
class Story:
    gateway: GatewayLoop
    partners: dict[str, PartnerClient]
    samples: Path
    progress: Progress
    clock: StoryClock
    day: datetime  # when the retailer made its requests

    def steps(self) -> list[tuple[str, Callable[[], None]]]:
        return [
            ("A return request the retailer's policy decides", self.policy_decides),
            ("A return request the policy leaves to a person", self.person_decides),
            ("The vendor confirms the return", self.vendor_confirms),
            ("A broken file", self.broken_file),
            ("The goods ship", self.goods_ship),
            ("The carrier reports the shipment", self.carrier_reports),
            ("A recall notice", self.recall_arrives),
            ("The retailer answers: its 997 and its recall response", self.retailer_answers),
            ("The goods arrive at the returns center", self.goods_received),
        ]

    def run(self) -> None:
        steps = self.steps()
        for number, (title, step) in enumerate(steps, start=1):
            self.progress.step(number, len(steps), title)
            step()

    # --- the steps ---------------------------------------------------------------------------
    def policy_decides(self) -> None:
        self.drop("northwind", "180-return-request.x12",
                  documents.return_request(self.samples, self.day),
                  f"return request {documents.request_id(self.day, 1)} for {RMA}: a stand mixer "
                  "(defective) and a kettle (damaged)")

    def person_decides(self) -> None:
        request = documents.request_id(self.day, 2)
        self.drop("northwind", "180-return-request-2.x12", documents.second_request(self.day),
                  f"return request {request}: a kettle 'not as expected'")
        answer = operator_decide(self.gateway.outbound, request, Verdict.AUTHORIZE, lines=None,
                                 reason=None, now=local_now())
        self.progress.says("a person", f"authorizes it (as `gateway rma authorize {request}` "
                           "does, through gateway.app.outbound.decisions.operator_decide)")
        self.progress.says("gateway", answer_line(answer))
        queue_status_updates(self.gateway.outbound, [answer.request], local_now())
        self.settle()

    def vendor_confirms(self) -> None:
        self.drop("acme", "180-authorization.x12",
                  documents.vendor_authorization(self.day, self.clock.next()),
                  f"its own 180 authorizing both lines of {RMA}")

    def broken_file(self) -> None:
        self.drop("northwind", "856-ship-notice.x12",
                  documents.broken_ship_notice(self.samples),
                  "a ship notice dated February 31st (samples/defects/dtm-invalid-date.x12)")

    def goods_ship(self) -> None:
        self.drop("northwind", "856-ship-notice-corrected.x12",
                  documents.ship_notice(self.samples, self.clock.next()),
                  f"the corrected ship notice: 2 cartons under {RMA}, carrier ODFL")

    def carrier_reports(self) -> None:
        moments = [self.clock.next() for _ in range(4)]
        self.drop("odfl", "214-status.x12", documents.carrier_status(self.samples, moments),
                  "shipment status: picked up, departed, en route, delivered")

    def recall_arrives(self) -> None:
        self.drop("cpsc", "recall-26-031.xml", documents.recall_notice(self.samples),
                  "recall notice 26-031: Acme stand mixers, serials SMX22A0017700-799")

    def retailer_answers(self) -> None:
        retailer = self.partners["northwind"]
        answer_name, answer = self.rma_answer(retailer.received("180_"))
        self.drop("northwind", "997-for-our-answer.x12",
                  documents.functional_ack(answer, NORTHWIND_997_CONTROL, local_now()),
                  f"its 997 accepting our RMA answer {answer_name}")
        name, notification = next(iter(retailer.received("recall-notification_").items()))
        self.drop("northwind", "recall-response-26-031.xml",
                  documents.recall_response(notification, self.clock.next()),
                  f"its recall response to {name}: 1 unit found, 1 returned")
        for recipient in self.gateway.store.recall_recipients_of(documents.RECALL_NOTICE):
            if recipient.responded_at is not None:
                self.progress.says("gateway", f"recall {documents.RECALL_NOTICE}: "
                                   f"{recipient.partner} answered {recipient.response_status} "
                                   f"(found {recipient.units_found}, returned "
                                   f"{recipient.units_returned})")

    def goods_received(self) -> None:
        self.clock.wait_past_last()  # the dock checks the goods in after the carrier's events
        step = record_case_step(self.gateway.outbound, RMA, CaseState.RECEIVED,
                                note="2 cartons checked in at the dock (demo)", now=local_now())
        self.progress.says("a person", f"records {RMA} as received at the dock (as "
                           f"`gateway rma receive {RMA}` does)")
        for update in step.updates:
            self.progress.says("gateway", f"tells {update.partner}: return {RMA} is "
                               f"{update.state}")
        self.settle()

    # --- helpers -----------------------------------------------------------------------------
    def drop(self, partner_id: str, name: str, data: bytes, what: str) -> None:
        self.partners[partner_id].drop(name, data)
        self.progress.says(partner_id, f"drops {name}: {what}")
        self.settle()

    def settle(self) -> None:
        self.gateway.until_idle(self.progress.round)

    @staticmethod
    def rma_answer(received: dict[str, bytes]) -> tuple[str, bytes]:
        """Our first 180 that authorizes under the story's RMA (status updates come later,
        with higher control numbers, and say RDR*CR)."""
        for name, data in sorted(received.items()):
            if f"{RMA}" in data.decode("latin-1") and b"RDR*RA" in data:
                return name, data
        raise LookupError(f"northwind has no 180 answer for {RMA} in its inbox")
