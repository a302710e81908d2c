"""The structured results the grading stages pass to each other (never printed text parsed back).

A `Part` is one weighted check of a `Verdict` ("dW averaged over the batch"); a `Verdict` is
the grader's score of one graded cell; an `Item` is that cell's line in the reports; a
`Result` is everything grading one student produced.

Every score the course reports is rounded once, to the cent (`cents`): items when they are
scored, totals when they are summed, so the CSVs, the feedback and the gradebook (which gets
the same rounded item scores) agree exactly.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

GRADER, INSTRUCTOR, PENDING = "grader", "instructor", "pending"  # who gave an Item its score


def cents(value):
    """`value` rounded to 2 decimals, halves up (1.335 -> 1.34, 2/3 -> 0.67); the course's one rounding."""
    return float(Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)) + 0.0


@dataclass
class Part:
    """One weighted part of a check: passed or not, and what the student should know."""

    label: str
    weight: float
    passed: bool
    message: str = ""


@dataclass
class Verdict:
    """The grader's score of one graded cell, computed in the grader's own process."""

    score: float
    max_score: float
    title: str = ""
    parts: list = field(default_factory=list)  # [Part]
    reason: str = ""  # why the check could not run at all (then score is 0)
    output: str = ""  # what the student's code printed during the check (for feedback)

    @property
    def failures(self):
        """What went wrong, for the student: the failed parts' messages, or the reason."""
        found = [f"{p.label}: {p.message}" if p.message else p.label for p in self.parts if not p.passed]
        return ([self.reason] if self.reason else []) + found

    def text(self):
        """The report as the student reads it in the graded notebook and the feedback."""
        lines = [f"{self.title}: {cents(self.score):g} / {self.max_score:g} points"]
        if self.reason:
            lines.append(f"  \N{BALLOT X} {self.reason}")
        for part in self.parts:
            mark = "\N{CHECK MARK}" if part.passed else "\N{BALLOT X}"
            lines.append(f"  {mark} {part.label}" + ("" if part.passed else f": {part.message}"))
        return "\n".join(lines) + "\n"


@dataclass
class Item:
    """The score of one graded cell of one student, as the reports show it.

    `graded_by` says where the score comes from: the grader's trusted check (or a rule such
    as "no response"), the instructor (a manual score given in formgrader, which wins over the
    grader's), or nobody yet (a written answer waiting for manual grading: 0 points so far).
    """

    cell_id: str
    score: float
    max_score: float
    reason: str = ""
    graded_by: str = GRADER
    comment: str = ""  # the instructor's comment in formgrader on this cell or on the answer it grades

    @property
    def pending(self):
        return self.graded_by == PENDING


@dataclass
class Result:
    """What grading one student produced."""

    student: str
    items: list = field(default_factory=list)
    reason: str = ""  # what went wrong with the submission as a whole, or what was repaired
    notebooks: dict = field(default_factory=dict)  # name -> sanitized notebook, then graded notebook
    flags: list = field(default_factory=list)  # (cell id, evidence): possible tampering, for the instructor
    grader_failed: bool = False  # the grader itself failed for this student (the exit code says so)
    timestamp: object = None  # when it was submitted (timestamp.txt from collect/zip_collect): naive UTC datetime
    seconds_late: float = 0.0  # after the due date in the gradebook (extensions included)
    late_penalty: float = 0.0  # points taken off for lateness (c.AssignLatePenalties in nbgrader_config.py)

    @property
    def score(self):
        """The points of all items, before any late penalty."""
        return cents(sum(item.score for item in self.items))

    @property
    def max_score(self):
        return cents(sum(item.max_score for item in self.items))

    @property
    def final_score(self):
        """The grade: the points less the late penalty, never below 0."""
        return cents(max(0.0, self.score - self.late_penalty))

    @property
    def pending(self):
        """The cells still waiting for the instructor's manual grade."""
        return [item.cell_id for item in self.items if item.pending]

    @property
    def pending_points(self):
        """The points of those cells (a fully correct submission has `score == max_score - pending_points`)."""
        return cents(sum(item.max_score for item in self.items if item.pending))

    def note(self, text):
        self.reason = "; ".join(filter(None, [self.reason, text]))
