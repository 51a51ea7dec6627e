"""Toolkit for the Splunk ES detection "Linux Auditd At Application Execution".

The pipeline, one sub-package per step:
  conf      -> the app's .conf files, default/ layered with local/ (ksconf's parser)
  detection -> the saved search and its macros, as the app ships them
  audit     -> raw audit logs to Splunk-shaped events
  attack_data -> the datasets' metadata YAML (host, source, expected rows)
  spl       -> the embedded SPL engine (lexer, parser, AST, one module per command)
  runner    -> reader + engine wired together, with per-stage counts
  app       -> packaging and lint of the Splunk app itself
  capture   -> real auditd captures into attack_data/
  replay    -> replay into a real Splunk over HEC, with a differential check
  tuning    -> risk events, schedule backtest, filter-macro tuning
  cli       -> thin argparse layer, one module per verb
"""

from importlib.metadata import version

__version__ = version("linux-auditd-at")
"""The installed toolkit's version; tests/test_identity.py holds it to default/app.conf's."""
