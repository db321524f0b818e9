"""The report: JSON for machines, an HTML page with charts and every failed case, and the
comparison against the previous report in the same directory."""

from __future__ import annotations

import base64
import html
import io
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eval.metrics import Figure


def _chart(figs: list[Figure], previous: dict[str, Any]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ratios = [f for f in figs if f.unit == "ratio" and f.value is not None and f.n > 0]
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(ratios) + 1.2), dpi=110)
    names = [f.name for f in ratios]
    values = [f.value or 0 for f in ratios]
    errs = [
        [max(0.0, (f.value or 0) - (f.ci_low or 0)) for f in ratios],
        [max(0.0, (f.ci_high or 0) - (f.value or 0)) for f in ratios],
    ]
    colors = ["#2e7d32" if f.passed in (True, None) else "#c62828" for f in ratios]
    y = range(len(ratios))
    ax.barh(list(y), values, xerr=errs, color=colors, alpha=0.85, capsize=3)
    prev = previous.get("figures", {})
    for i, f in enumerate(ratios):
        if f.threshold:
            for key in ("min", "max"):
                if key in f.threshold:
                    ax.plot([f.threshold[key]] * 2, [i - 0.4, i + 0.4], color="black", lw=1.5)
        if f.name in prev and prev[f.name].get("value") is not None:
            ax.plot(prev[f.name]["value"], i, marker="|", color="#1565c0", markersize=14, mew=2)
    ax.set_yticks(list(y))
    ax.set_yticklabels(names)
    ax.set_xlim(0, 1.05)
    ax.invert_yaxis()
    ax.set_title("Figures (bars: this run with 95% CI; black: threshold; blue: previous run)")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _latency_chart(results: list[dict[str, Any]]) -> str | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lat = [r["latency"] * 1000 for r in results if r.get("kind") == "turn" and r.get("latency") is not None]
    if not lat:
        return None
    fig, ax = plt.subplots(figsize=(9, 2.6), dpi=110)
    ax.hist(lat, bins=40, color="#455a64")
    ax.set_xlabel("latency per turn (ms)")
    ax.set_ylabel("turns")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _fmt(f: Figure) -> str:
    if f.value is None:
        return "–"
    if f.unit == "ms":
        return f"{f.value:.0f} ms"
    return f"{f.value:.3f}"


def write_report(
    out_dir: Path, figs: list[Figure], results: list[dict[str, Any]], *, gate_passed: bool, runner: str, suites: list[str]
) -> dict[str, Any]:
    out_dir.mkdir(parents=True, exist_ok=True)
    prev_path = out_dir / "report.json"
    previous: dict[str, Any] = {}
    if prev_path.exists():
        try:
            previous = json.loads(prev_path.read_text(encoding="utf-8"))
            shutil.copyfile(prev_path, out_dir / "previous.json")
        except (OSError, ValueError):
            previous = {}
    failed = [r for r in results if r.get("fails")]
    report = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "runner": runner,
        "suites": suites,
        "gate_passed": gate_passed,
        "figures": {f.name: f.to_json() for f in figs},
        "cases": len({(r["suite"], r["case"]) for r in results}),
        "turns": len(results),
        "failures": failed,
    }
    prev_figs = previous.get("figures", {})
    for name, f in report["figures"].items():
        p = prev_figs.get(name, {}).get("value")
        f["previous"] = p
        f["delta"] = None if p is None or f["value"] is None else f["value"] - p
    prev_path.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    (out_dir / "index.html").write_text(_html(report, figs, results, previous), encoding="utf-8")
    return report


def _html(report: dict[str, Any], figs: list[Figure], results: list[dict[str, Any]], previous: dict[str, Any]) -> str:
    e = html.escape
    rows = []
    for f in figs:
        j = report["figures"][f.name]
        delta = j.get("delta")
        regress = delta is not None and ((delta < 0 and f.name not in ("over_triage",) and f.unit == "ratio") or (delta > 0 and f.name == "over_triage"))
        dtxt = "" if delta is None else (f"{delta:+.3f}" if f.unit == "ratio" else f"{delta:+.0f} ms")
        ci = "" if f.ci_low is None or f.unit != "ratio" else f"[{f.ci_low:.3f}, {f.ci_high:.3f}]"
        status = {True: "pass", False: "<b style='color:#c62828'>FAIL</b>", None: "—"}[f.passed]
        thr = "" if not f.threshold else ", ".join(f"{k} {v}" for k, v in f.threshold.items())
        rows.append(
            f"<tr class='{'fail' if f.passed is False else ''}'><td>{e(f.name)}</td><td>{_fmt(f)}</td><td>{f.n}</td>"
            f"<td>{ci}</td><td>{e(thr)}</td><td class='{'regress' if regress else ''}'>{dtxt}</td><td>{status}</td></tr>"
        )
    fails = []
    for r in report["failures"]:
        convo = ""
        if r.get("kind") == "turn":
            same = [x for x in results if x["suite"] == r["suite"] and x["case"] == r["case"]]
            convo = "".join(
                f"<div class='p'>🧑 {e(str(x.get('text')))}</div><div class='a'>🤖 {e(str((x.get('reply') or {}).get('reply', '')))}</div>"
                for x in same if x.get("turn", 0) <= r.get("turn", 0)
            )
        else:
            convo = f"<pre>{e(json.dumps(r.get('request'), ensure_ascii=False))}\n→ {e(json.dumps(r.get('reply'), ensure_ascii=False)[:1500])}</pre>"
        fails.append(
            f"<tr><td>{e(r['suite'])}</td><td>{e(r['case'])}</td><td>{convo}</td>"
            f"<td><ul>{''.join(f'<li>{e(x)}</li>' for x in r['fails'])}</ul></td></tr>"
        )
    chart = _chart(figs, previous)
    lat = _latency_chart(results)
    gate = "PASSED" if report["gate_passed"] else "FAILED"
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Safety evaluation — {gate}</title>
<style>body{{font-family:system-ui,'Noto Sans CJK SC',sans-serif;margin:2em;max-width:1200px}}table{{border-collapse:collapse;width:100%}}
td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}}tr.fail{{background:#fdecea}}td.regress{{color:#c62828;font-weight:bold}}
.p{{color:#333}}.a{{color:#1b5e20;margin-bottom:4px}}h1 span{{color:{'#2e7d32' if report['gate_passed'] else '#c62828'}}}</style></head><body>
<h1>Safety evaluation: <span>{gate}</span></h1>
<p>{e(report['generated_at'])} · runner {e(report['runner'])} · suites {e(', '.join(report['suites']))} · {report['cases']} cases, {report['turns']} turns, {len(report['failures'])} failed turns.
{'Compared with the previous run of ' + e(previous.get('generated_at', '')) + '.' if previous else 'No previous run to compare with.'}</p>
<h2>Figures</h2><table><tr><th>figure</th><th>value</th><th>n</th><th>95% CI</th><th>threshold</th><th>Δ vs previous</th><th>gate</th></tr>{''.join(rows)}</table>
<p><img alt="figures chart" src="data:image/png;base64,{chart}"></p>
{f'<p><img alt="latency histogram" src="data:image/png;base64,{lat}"></p>' if lat else ''}
<h2>Failed cases ({len(report['failures'])})</h2><table><tr><th>suite</th><th>case</th><th>conversation</th><th>why it failed</th></tr>{''.join(fails) or '<tr><td colspan=4>none</td></tr>'}</table>
</body></html>"""
