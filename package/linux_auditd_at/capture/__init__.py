"""Real auditd captures into attack_data/: scenarios of `at` use, played under a real kernel.

  system    -> preflight checks, private or running auditd, our execve rules (all undone on exit)
  scenarios -> what is played, each process with the outcome the shipped search should give
  window    -> the scenarios' records out of the log, checked against that ground truth
  dataset   -> log, expected rows and attack_data metadata YAML
  session   -> one capture, start to finish, restoring the machine also on failure or signal
"""

from linux_auditd_at.capture.scenarios import SCENARIOS
from linux_auditd_at.capture.session import capture

__all__ = ["SCENARIOS", "capture"]
