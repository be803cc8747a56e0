"""The demo's story: partners drop files over SFTP, the gateway takes and answers them.

Each step is what one party does (a partner uploads a file, a person decides), followed by
gateway rounds until nothing is left to do, so every line printed belongs to its step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from gateway.app.cases import cases_for
from gateway.app.dispositions import DispositionOrder, record_disposition
from gateway.app.outbound.decisions import operator_decide
from gateway.app.outbound.status import queue_status_updates
from gateway.bootstrap import local_now
from gateway.demo import documents
from gateway.demo.documents import RMA, StoryClock
from gateway.demo.gateway_loop import GatewayLoop
from gateway.demo.partner_side import PartnerClient
from gateway.demo.progress import Progress, answer_line
from gateway.domain.dispositions import Outcome
from gateway.domain.receipts import receipt_findings
from gateway.domain.rma_policy import Verdict

NORTHWIND_997_CONTROL = 105  # the retailer's own ISA13 for its 997 (unused by its samples)


@dataclass
class Story:
    gateway: GatewayLoop
    partners: dict[str, PartnerClient]
    samples: Path
    progress: Progress
    clock: StoryClock
    day: datetime  # when the retailer made its requests
    shipped_at: datetime | None = None  # when the goods left (the 856), once they have

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
            ("The returns center receives the goods: its 861", self.goods_received),
            ("A person decides what becomes of them", self.goods_dispositioned),
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
        self.shipped_at = self.clock.next()
        self.drop("northwind", "856-ship-notice-corrected.x12",
                  documents.ship_notice(self.samples, self.shipped_at),
                  f"the corrected ship notice: 2 cartons under {RMA}, carrier ODFL")

    def carrier_reports(self) -> None:
        moments = [self.clock.next() for _ in range(5)]
        self.drop("odfl", "214-status.x12", documents.carrier_status(self.samples, moments),
                  "shipment status: picked up, departed, en route, estimated delivery "
                  f"{moments[3]:%Y-%m-%d %H:%M} UTC, delivered")

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
        shipped = self.shipped_at or self.day  # the story ships before it receives
        self.drop("acme", "861-receiving-advice.x12",
                  documents.receiving_advice(self.samples, shipped, self.clock.next()),
                  f"its return centre's receiving advice for {RMA}: both stand mixers in (one "
                  "damaged), the kettle missing")
        view = cases_for(self.gateway.store, RMA)
        for case in view.cases:
            self.progress.says("gateway", f"return {RMA} is {case.state}")
            for finding in receipt_findings(case):
                self.progress.says("gateway", f"finding: {finding.text}")

    def goods_dispositioned(self) -> None:
        """Both mixers arrived (the kettle did not): they are under recall, so none goes back
        on sale; the one sound mixer is refurbished (the recall's remedy), the damaged one
        destroyed. The last outcome closes the case."""
        # The dock's receipt is dated a second ahead (the story clock's next moment); a
        # disposition dated before it would close the case before it was received, which a
        # fast run did.
        self.clock.wait_past_last()
        for order in (DispositionOrder(1, Outcome.REFURBISH, Decimal(1), Decimal("35.00"),
                                       note="motor replaced under recall 26-031"),
                      DispositionOrder(1, Outcome.DESTROY, Decimal(1),
                                       note="housing cracked in transit")):
            done = record_disposition(self.gateway.outbound, RMA, order, by="demo:otto",
                                      now=local_now())
            value = f", {done.disposition.value} recovered" if done.disposition.value else ""
            self.progress.says("a person", f"line 1 of {RMA}: {done.disposition.quantity} "
                               f"{order.outcome.value}{value} (as `gateway rma dispose` does)")
            for update in done.closed.updates if done.closed else ():
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
