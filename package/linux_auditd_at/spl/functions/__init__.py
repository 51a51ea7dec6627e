"""Eval functions, one record each in FUNCTIONS (see `registry`), grouped by kind of work:
conditional (conditions, null tests, matching), text, conversion. Adding a function is writing
one decorated builder in one of these modules."""

from linux_auditd_at.spl.functions import conditional, conversion, text
from linux_auditd_at.spl.functions.registry import FUNCTIONS, Evaluator, Function, Kind

__all__ = ["FUNCTIONS", "Evaluator", "Function", "Kind", "conditional", "conversion", "text"]
