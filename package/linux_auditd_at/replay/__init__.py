"""Replay datasets into a real Splunk over HEC, run the saved search as the server has it, and
compare its rows with the embedded engine's. Which logs to replay, with which host and source,
comes from `linux_auditd_at.attack_data` (the datasets' metadata YAML).

  tls      -> the one TLS setting shared by the management and HEC connections; URL checks
  transport-> one HTTP exchange with a deadline and a size limit (HEC, and splunk-sdk's handler)
  splunkd  -> the management API through splunk-sdk: app and saved search checks, indexes, HEC
              tokens, role default indexes, jobs and the saved search's dispatch
  hec      -> HTTP Event Collector client: batches, channel, acknowledgement, back-off
  compare  -> Splunk's rows against the embedded engine's, field by field
  session  -> one dataset end to end, with timings and a PASS/FAIL verdict, cleaning up after
  junit    -> the verdicts as JUnit XML
"""

from linux_auditd_at.errors import ToolkitError


class ReplayError(ToolkitError):
    """The server, the HEC endpoint or the credentials are not what replay needs."""
