"""Toolkit for the Splunk ES detection "Linux Auditd At Application Execution".

The pipeline, one module or sub-package per step; `spl/` and `audit/` import nothing above them
but `errors`, `structs` and `patterns` (tests/test_layers.py):
  structs   -> the record classes a run defines (what dataclasses give, cheaper to define)
  patterns  -> regexes compiled on their first use
  conf      -> the app's .conf files, default/ layered with local/ (ksconf's parser)
  detection -> the saved search and its macros, as the app ships them
  risk      -> its risk action (ES's `_risk` settings) and the risk events it writes per row
  audit     -> raw audit logs to Splunk-shaped events
  attack_data -> the datasets' metadata YAML (host, source, expected rows)
  spl       -> the embedded SPL engine (lexer, parser, AST, one module per command)
  runner    -> reader + engine wired together, with per-stage counts
  app       -> packaging and lint of the Splunk app itself
  capture   -> real auditd captures into attack_data/
  replay    -> replay into a real Splunk over HEC, with a differential check
  tuning    -> schedule backtest, filter-macro tuning
  cli       -> thin argparse layer, one module per verb
  console   -> the console script: cli.main, the garbage collector kept off start-up's objects
"""



def __getattr__(name: str) -> str:
    """`__version__`: the installed toolkit's version (tests/test_identity.py holds it to
    default/app.conf's), looked up when asked for: importlib.metadata costs every run tens of ms."""
    if name == "__version__":
        from importlib.metadata import version

        return version("linux-auditd-at")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
