"""A backtest for people: a plain text summary for terminals, and one self-contained HTML page
(inline SVG, no scripts, styles or fonts from elsewhere) charting the risk events of each run."""

from __future__ import annotations

import html
from datetime import datetime, tzinfo

from linux_auditd_at.spl.values import format_number
from linux_auditd_at.tuning.backtest import Backtest, Run

TIME_FORMAT = "%Y-%m-%d %H:%M %Z"


def _when(epoch: float, tz: tzinfo) -> str:
    return datetime.fromtimestamp(epoch, tz).strftime(TIME_FORMAT)


def _window_text(run: Run, tz: tzinfo) -> str:
    return f"{_when(run.window.earliest, tz)} .. {_when(run.window.latest, tz)}"


def summary_lines(backtest: Backtest, tz: tzinfo, *, examples: int = 5) -> list[str]:
    """The overall figures: runs, alerts per day, the noisiest values, and window coverage."""
    if not backtest.runs:
        return ["no scheduled run: the logs hold no events, or the time range holds no run"]
    runs = backtest.runs
    lines = [
        f"runs: {len(runs)}, {_when(runs[0].window.run.timestamp(), tz)} .. "
        f"{_when(runs[-1].window.run.timestamp(), tz)} ({backtest.days:.2f} days of windows)",
        f"runs with alerts: {backtest.alerts} ({backtest.per_day(backtest.alerts):.2f} per day)",
        f"risk events: {backtest.risk_event_count}"
        f" ({backtest.per_day(backtest.risk_event_count):.2f} per day),"
        f" total risk score {format_number(sum(run.risk_score for run in runs))}",
    ]
    for name in ("dest", "UID", "comm"):
        top = backtest.noisiest(name, 3)
        shown = ", ".join(f"{value} ({count} row{'' if count == 1 else 's'})" for value, count in top) or "-"
        lines.append(f"noisiest {name}: {shown}")
    cov = backtest.coverage
    lines.append(f"coverage: {cov.matched} events match the base search; {len(cov.uncovered)} fall in no"
                 f" window, {len(cov.repeated)} in two or more")
    for time in cov.uncovered[:examples]:
        lines.append(f"  in no window: {_when(time, tz)} ({format_number(time)})")
    for time, count in cov.repeated[:examples]:
        lines.append(f"  in {count} windows: {_when(time, tz)} ({format_number(time)})")
    return lines


def run_lines(backtest: Backtest, tz: tzinfo, *, all_runs: bool = False) -> list[str]:
    """One line per run (only the runs that alert unless `all_runs`)."""
    out = []
    for run in backtest.runs:
        if all_runs or run.alerted:
            out.append(f"{_when(run.window.run.timestamp(), tz)}  window {_window_text(run, tz)}  "
                       f"rows {len(run.rows)}  risk {format_number(run.risk_score)}")
    return out


def html_page(backtest: Backtest, tz: tzinfo, title: str) -> str:
    """The chart of risk events per run, the summary and the alerting runs, as one HTML file."""
    esc = html.escape
    summary = "\n".join(f"<li>{esc(line)}</li>" for line in summary_lines(backtest, tz))
    alerting = "\n".join(
        f"<tr><td>{esc(_when(run.window.run.timestamp(), tz))}</td><td>{esc(_window_text(run, tz))}</td>"
        f"<td>{len(run.rows)}</td><td>{esc(format_number(run.risk_score))}</td></tr>"
        for run in backtest.runs if run.alerted)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title></head>
<body style="font-family: sans-serif; margin: 2em;">
<h1 style="font-size: 1.3em;">{esc(title)}</h1>
{_svg(backtest, tz)}
<ul>
{summary}
</ul>
<table style="border-collapse: collapse;" border="1" cellpadding="4">
<tr><th>run</th><th>window</th><th>rows</th><th>risk score</th></tr>
{alerting}
</table>
</body></html>
"""


def _svg(backtest: Backtest, tz: tzinfo, width: int = 960, height: int = 240) -> str:
    """Bars: risk events of each run, red when the run alerts; day boundaries as ticks."""
    runs = backtest.runs
    left, bottom, top = 40, 30, 10
    plot_w, plot_h = width - left - 10, height - bottom - top
    peak = max((len(run.risk_events) for run in runs), default=0) or 1
    bar_w = plot_w / max(len(runs), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'role="img" aria-label="risk events per scheduled run">',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
             'stroke="#444"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#444"/>',
             f'<text x="{left - 5}" y="{top + 10}" font-size="11" text-anchor="end">{peak}</text>',
             f'<text x="{left - 5}" y="{top + plot_h}" font-size="11" text-anchor="end">0</text>']
    last_day = None
    for index, run in enumerate(runs):
        x = left + index * bar_w
        day = run.window.run.date()
        if day != last_day:
            parts.append(f'<line x1="{x:.1f}" y1="{top + plot_h}" x2="{x:.1f}" y2="{top + plot_h + 5}" '
                         f'stroke="#444"/><text x="{x:.1f}" y="{top + plot_h + 18}" font-size="11">'
                         f"{html.escape(day.isoformat())}</text>")
            last_day = day
        count = len(run.risk_events)
        if count:
            bar_h = plot_h * count / peak
            label = html.escape(f"{_when(run.window.run.timestamp(), tz)}: {count} risk events")
            parts.append(f'<rect x="{x:.1f}" y="{top + plot_h - bar_h:.1f}" width="{max(bar_w - 1, 1):.1f}" '
                         f'height="{bar_h:.1f}" fill="#c0392b"><title>{label}</title></rect>')
    parts.append("</svg>")
    return "\n".join(parts)
