"""How often the search would fire on recorded logs, and how to quiet it, with no Splunk.

  backtest -> the cron schedule replayed over the logs, each run on its dispatch window
  report   -> a backtest as terminal text and as one self-contained HTML chart
  tune     -> a new filter macro compared with the current one; saved to local/macros.conf
"""
