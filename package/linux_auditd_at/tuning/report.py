"""A backtest for people: plain text for terminals, and one self-contained HTML page (inline SVG and
styles; no scripts, fonts or anything else fetched) charting the risk events of each run."""

from __future__ import annotations

import html
from datetime import datetime, tzinfo

from linux_auditd_at.spl.values import format_number
from linux_auditd_at.tuning.backtest import NOISE_FIELDS, Backtest, Day, Run

TIME_FORMAT = "%Y-%m-%d %H:%M %Z"


def _when(epoch: float, tz: tzinfo) -> str:
    return datetime.fromtimestamp(epoch, tz).strftime(TIME_FORMAT)


def _window_text(run: Run, tz: tzinfo) -> str:
    """The window as `08:50 .. 09:50`, with the date of an end that is not on the run's day."""
    def clock(epoch: float) -> str:
        moment = datetime.fromtimestamp(epoch, tz)
        return moment.strftime("%H:%M" if moment.date() == run.window.run.date() else "%Y-%m-%d %H:%M")
    return f"{clock(run.window.earliest)} .. {clock(run.window.latest)}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


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
    for name in NOISE_FIELDS:
        top = backtest.noisiest(name, 3)
        shown = ", ".join(f"{value} ({_plural(count, 'row')})" for value, count in top) or "-"
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


DAY_COLUMNS = ("day", "runs", "alerting", "risk events", "risk score")


def _day_cells(day: Day) -> tuple[str, ...]:
    return (day.date.isoformat(), str(day.runs), str(day.alerts), str(day.risk_events),
            format_number(day.risk_score))


def day_lines(backtest: Backtest) -> list[str]:
    """A per-day table (day of the scheduled run time), right-aligned numbers."""
    rows = [DAY_COLUMNS, *(_day_cells(day) for day in backtest.by_day())]
    widths = [max(len(row[i]) for row in rows) for i in range(len(DAY_COLUMNS))]
    return ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                      for i, (cell, w) in enumerate(zip(row, widths, strict=True)))
            for row in rows]


STYLE = """
body { font-family: system-ui, sans-serif; color: #222; margin: 2em; max-width: 1000px; }
h1 { font-size: 1.3em; margin-bottom: 0.2em; }
h2 { font-size: 1.05em; margin-top: 1.6em; }
p.what { color: #555; margin-top: 0; }
ul.summary { padding-left: 1.2em; line-height: 1.5; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 10px; border-bottom: 1px solid #ddd; text-align: left; }
th { background: #f3f3f3; }
td.n, th.n { text-align: right; }
svg text { font-family: system-ui, sans-serif; font-size: 11px; fill: #444; }
"""


def html_page(backtest: Backtest, tz: tzinfo, title: str, description: str = "") -> str:
    """The chart of risk events per run, the summary, a per-day table and the alerting runs, as one
    HTML file that opens offline."""
    esc = html.escape
    summary = "\n".join(f"<li>{esc(line)}</li>" for line in summary_lines(backtest, tz))
    days = "\n".join("<tr>" + "".join(f'<td{"" if i == 0 else " class=n"}>{esc(cell)}</td>'
                                      for i, cell in enumerate(_day_cells(day))) + "</tr>"
                     for day in backtest.by_day())
    day_head = "".join(f'<th{"" if i == 0 else " class=n"}>{esc(c)}</th>' for i, c in enumerate(DAY_COLUMNS))
    alerting = "\n".join(
        f"<tr><td>{esc(_when(run.window.run.timestamp(), tz))}</td><td>{esc(_window_text(run, tz))}</td>"
        f"<td class=n>{len(run.rows)}</td><td class=n>{esc(format_number(run.risk_score))}</td></tr>"
        for run in backtest.runs if run.alerted)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>{STYLE}</style></head>
<body>
<h1>{esc(title)}</h1>
<p class="what">{esc(description)}</p>
{_svg(backtest, tz)}
<h2>Summary</h2>
<ul class="summary">
{summary}
</ul>
<h2>Per day</h2>
<table>
<tr>{day_head}</tr>
{days}
</table>
<h2>Runs that alert</h2>
<table>
<tr><th>run</th><th>window</th><th class=n>rows</th><th class=n>risk score</th></tr>
{alerting}
</table>
</body></html>
"""


def _nice_step(peak: int) -> int:
    """A step of 1, 2 or 5 times a power of ten giving at most five gridlines up to `peak`."""
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            if peak <= 5 * factor * magnitude:
                return factor * magnitude
        magnitude *= 10


LABEL_WIDTH = 70  # px a `YYYY-MM-DD` tick label needs at 11px


def _svg(backtest: Backtest, tz: tzinfo, width: int = 960, height: int = 280) -> str:
    """Bars: risk events of each run that alerts; a gridded y axis; the first run of each day ticked
    and labelled where the label fits."""
    runs = backtest.runs
    left, right, top, bottom = 56, 16, 12, 50
    plot_w, plot_h = width - left - right, height - top - bottom
    base = top + plot_h
    peak = max((len(run.risk_events) for run in runs), default=0)
    step = _nice_step(max(peak, 1))
    y_max = max(step * -(-max(peak, 1) // step), 1)
    slot = plot_w / max(len(runs), 1)
    bar_w = max(min(slot * 0.8, 24.0), 1.0)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="risk events per scheduled run">']
    for value in range(0, y_max + 1, step):
        y = base - plot_h * value / y_max
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" '
                     f'stroke="{"#888" if value == 0 else "#e4e4e4"}"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{value}</text>')
    parts.append(f'<text transform="translate(14 {top + plot_h / 2:.1f}) rotate(-90)" '
                 'text-anchor="middle">risk events per run</text>')
    clocks = slot >= 40  # room to label each run with its time, the days on a second line
    last_day, last_label_end = None, float("-inf")
    for index, run in enumerate(runs):
        x = left + index * slot
        day = run.window.run.date()
        if clocks:
            parts.append(f'<text x="{x + slot / 2:.1f}" y="{base + 14}" text-anchor="middle">'
                         f'{run.window.run.strftime("%H:%M")}</text>')
        if day != last_day:
            last_day = day
            parts.append(f'<line x1="{x:.1f}" y1="{base}" x2="{x:.1f}" y2="{base + 5}" stroke="#888"/>')
            if x >= last_label_end and x + LABEL_WIDTH <= width:
                day_y = base + (28 if clocks else 18)
                parts.append(f'<text x="{x:.1f}" y="{day_y}">{day.isoformat()}</text>')
                last_label_end = x + LABEL_WIDTH + 6
        count = len(run.risk_events)
        if count:
            bar_h = plot_h * count / y_max
            label = html.escape(f"run {_when(run.window.run.timestamp(), tz)}, "
                                f"window {_window_text(run, tz)}: "
                                f"{_plural(len(run.rows), 'row')}, {_plural(count, 'risk event')}, "
                                f"risk score {format_number(run.risk_score)}")
            parts.append(f'<rect x="{x + (slot - bar_w) / 2:.1f}" y="{base - bar_h:.1f}" width="{bar_w:.1f}" '
                         f'height="{bar_h:.1f}" fill="#c0392b"><title>{label}</title></rect>')
    zone = datetime.fromtimestamp(runs[0].window.run.timestamp(), tz).strftime("%Z") if runs else ""
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 4}" text-anchor="middle">'
                 f"scheduled run time ({html.escape(zone)}), one slot per run</text>")
    if not peak:
        parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h / 2:.1f}" text-anchor="middle">'
                     "no run returned a result</text>")
    parts.append("</svg>")
    return "\n".join(parts)
