"""Eval functions, one record each in FUNCTIONS (see `registry`), grouped by kind of work:
conditional (conditions, null tests, matching), text, conversion, multivalue, time. Adding a
function is writing one decorated builder in one of these modules."""

from linux_auditd_at.spl.functions import conditional, conversion, multivalue, text, time
from linux_auditd_at.spl.functions.registry import FUNCTIONS, Evaluator, Function, Kind

MODULES = (conditional, conversion, multivalue, text, time)

__all__ = ["FUNCTIONS", "MODULES", "Evaluator", "Function", "Kind"]
