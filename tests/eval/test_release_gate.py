"""The release gate: every evaluation suite, in-process through the whole app, against the
thresholds in eval/thresholds.yaml. A missed emergency, over-triage or a wrong figure fails the build."""

from __future__ import annotations

import pytest

from eval.cli import evaluate

pytestmark = [pytest.mark.eval, pytest.mark.slow]


async def test_all_suites_pass_the_release_gate(tmp_path):
    report = await evaluate(None, tmp_path / "report", data_dir=tmp_path / "data", progress=False)
    lines = []
    for name, f in report["figures"].items():
        if f["n"]:
            value = f"{f['value']:.3f}" if f["unit"] == "ratio" else f"{f['value']:.0f} ms"
            lines.append(f"{name}={value} (n={f['n']}, passed={f['passed']})")
    print("\n" + "\n".join(lines))
    failed = {k: v for k, v in report["figures"].items() if v["passed"] is False}
    examples = [f"{r['suite']}/{r['case']}: {r['fails'][:2]}" for r in report["failures"][:15]]
    assert report["gate_passed"], f"gate failed on {sorted(failed)}; first failures: {examples}"
    # every figure the gate is meant to watch was measured in this run
    for name in ("emergency_recall", "over_triage", "department_accuracy", "refusal_correctness",
                 "citation_accuracy", "abstention", "report_accuracy", "settlement_exactness"):
        assert report["figures"][name]["n"] > 0, f"no cases measured {name}"
