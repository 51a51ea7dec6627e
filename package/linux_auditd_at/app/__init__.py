"""The Splunk app itself: its identity (app.conf), a reproducible package, and lint AppInspect lacks."""
