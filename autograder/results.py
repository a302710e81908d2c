"""The structured results the grading stages pass to each other (never printed text parsed back).

A `Part` is one weighted check of a `Verdict` ("dW averaged over the batch"); a `Verdict` is
the grader's score of one graded cell; an `Item` is that cell's line in the reports; a
`Result` is everything grading one student produced.
"""

from dataclasses import dataclass, field


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
        lines = [f"{self.title}: {self.score:g} / {self.max_score:g} points"]
        if self.reason:
            lines.append(f"  \N{BALLOT X} {self.reason}")
        for part in self.parts:
            mark = "\N{CHECK MARK}" if part.passed else "\N{BALLOT X}"
            lines.append(f"  {mark} {part.label}" + ("" if part.passed else f": {part.message}"))
        return "\n".join(lines) + "\n"


@dataclass
class Item:
    """The score of one graded cell of one student, as the reports show it."""

    cell_id: str
    score: float
    max_score: float
    reason: str = ""


@dataclass
class Result:
    """What grading one student produced."""

    student: str
    items: list = field(default_factory=list)
    reason: str = ""  # what went wrong with the submission as a whole, or what was repaired
    notebooks: dict = field(default_factory=dict)  # name -> sanitized notebook, then graded notebook
    flags: list = field(default_factory=list)  # (cell id, evidence): possible tampering, for the instructor
    grader_failed: bool = False  # the grader itself failed for this student (the exit code says so)

    @property
    def score(self):
        return round(sum(item.score for item in self.items), 4)

    @property
    def max_score(self):
        return round(sum(item.max_score for item in self.items), 4)

    def note(self, text):
        self.reason = "; ".join(filter(None, [self.reason, text]))
