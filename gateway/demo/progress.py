"""What the demo prints while it works: one line per step, who did it, what came of it.

Plain text; colours only when the output is a terminal (and NO_COLOR is not set), so a log or
a pipe gets no escape codes. ``quiet`` keeps only the summary. The text of every line is made
`printable` before it is coloured: file names, references and reasons are the partners', and
only our own colour codes may reach the terminal.
"""

from __future__ import annotations

import os
from typing import TextIO

from gateway.app.outbound.decisions import Answer
from gateway.app.outbound.react import Reactions
from gateway.demo.gateway_loop import FileTaken, RoundReport
from gateway.model.states import FileState
from gateway.text_safety import printable

_CODES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33",
          "blue": "34", "magenta": "35", "cyan": "36"}
_TONE_OF_STATE = {FileState.ACCEPTED: "green", FileState.REJECTED: "red",
                  FileState.DUPLICATE: "yellow", FileState.PARTIALLY_ACCEPTED: "yellow",
                  FileState.NOT_X12: "red"}


class Style:
    def __init__(self, out: TextIO, colour: bool | None = None) -> None:
        if colour is None:
            colour = out.isatty() and "NO_COLOR" not in os.environ
        self.colour = colour

    def __call__(self, text: str, *styles: str) -> str:
        if not self.colour or not styles:
            return text
        codes = ";".join(_CODES[s] for s in styles)
        return f"\033[{codes}m{text}\033[0m"


class Progress:
    def __init__(self, out: TextIO, *, quiet: bool = False, colour: bool | None = None) -> None:
        self.out, self.quiet = out, quiet
        self.style = Style(out, colour)

    # --- always printed (the summary uses these) -------------------------------------------
    def print(self, text: str = "", *styles: str) -> None:
        print(self.style(printable(text), *styles), file=self.out, flush=True)

    # --- progress, silenced by --quiet ------------------------------------------------------
    def step(self, number: int, total: int, title: str) -> None:
        if not self.quiet:
            self.print()
            self.print(f"[{number}/{total}] {title}", "bold")

    def says(self, actor: str, text: str, *styles: str) -> None:
        if not self.quiet:
            colour = {"gateway": "blue", "a person": "magenta"}.get(actor, "cyan")
            print(f"  {self.style(printable(f'{actor:<10}'), colour)} "
                  f"{self.style(printable(text), *styles)}", file=self.out, flush=True)

    def note(self, text: str) -> None:
        if not self.quiet:
            self.print(f"  {'':<10} {text}", "dim")

    def round(self, report: RoundReport) -> None:
        """What one gateway round did, file by file."""
        for taken in report.taken:
            self._taken(taken)
        for partner, name, why in report.waiting:
            self.note(f"left {partner}'s {name} for the next poll: {why}")
        for partner, names in report.sent.items():
            self.says("gateway", f"sent to {partner}: {', '.join(names)}")
        for row in report.overdue:
            self.says("gateway", f"ALERT: {row.partner} has not acknowledged our {row.kind} "
                      f"{row.control_number} in time", "red")

    def _taken(self, taken: FileTaken) -> None:
        result = taken.result
        acks = ", ".join(sorted({item.kind for item in result.acknowledgements}))
        text = f"took {taken.name} from {taken.partner}: {result.state} (file #{result.file_id})"
        text += f", {acks} queued" if acks else ""
        self.says("gateway", text, _TONE_OF_STATE.get(result.state, "bold"))
        if result.state != "accepted" and taken.reason:
            self.note(f"why: {taken.reason}")
        for note in taken.notes:
            self.says("gateway", note)
        for line in reaction_lines(taken.reactions):
            self.says("gateway", line)


def reaction_lines(reactions: Reactions) -> list[str]:
    """The follow-ups of a file, in words: decisions, status updates, recall notifications."""
    lines = [answer_line(a) for a in reactions.answers]
    lines += [f"tells {t.partner}: return {t.references.get('rma', t.anchor)} is {t.state}"
              for t in reactions.updates]
    lines += [f"recall {n.notice_id}: notifies {n.partner} ({n.units} affected units in its "
              f"documents, notification {n.notification_id})" for n in reactions.notified]
    return lines


def answer_line(answer: Answer) -> str:
    lines_by_why: dict[str, list[str]] = {}  # lines decided alike are said once
    for line in answer.lines:
        lines_by_why.setdefault(line.why, []).append(str(line.line_number))
    why = "; ".join(f"line{'s' * (len(numbers) > 1)} {', '.join(numbers)}: {text}"
                    for text, numbers in lines_by_why.items())
    if answer.outcome == "pending":
        return f"request {answer.request}: left for a person ({why})"
    return (f"request {answer.request}: {answer.outcome} under RMA {answer.rma_number}, "
            f"180 answer queued ({why})")
