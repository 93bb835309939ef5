"""The work promtool does for generated test files, counted (not timed): a figure machine noise cannot move.

promtool 2.42 evaluates every rule of the file at every evaluation step of every test group (up to the
group's last eval time), and for every alert instance whose condition holds at a step (pending or firing)
it expands the alert's label and annotation templates and writes its ALERTS series. Measured on the bench
service's rule file (30 recording rules, 20 alerts with 3-4 annotations; GOMAXPROCS=1, CPU seconds, lower
quartile of 11 runs on an idle 2-core machine, from files that isolate each term), a test file costs about

    35 ms + 18 ms a group + 2.1 ms a step (every rule, even on no data) + 0.33 ms an active instance-step

plus the series data (tens of ms). This script counts groups, steps and active alert instance-steps with our
evaluator (which mirrors promtool), how many of those instance-steps belong to alerts the group does not
assert (an alert firing on another alert's case: work that checks nothing) and how many come after the last
assertion of their alert in the group (a warning held by its critical's case, an average fading out: work
that checks nothing either), then prints the estimate. The
constants are the bench service's: other rule files cost otherwise a step (the A/B stack's SLO file, whose
recording rules read windows of days, about 8 ms under load), so compare the counts, and the estimate only
between files of one shape.

    .venv/bin/python bench/promtool_work.py generated/prometheus/tests/*.test.yml
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from monitoring.adopt.rule_files import read_rule_file
from monitoring.model.durations import parse_duration
from monitoring.testgen.stepping import evaluation_times
from monitoring.testgen.synth import case_evaluator

PER_FILE, PER_GROUP, PER_STEP, PER_INSTANCE_STEP = 0.035, 0.018, 0.0021, 0.00033  # seconds, see above


def work(test_file: Path) -> dict:
    test = yaml.safe_load(test_file.read_text())
    alerts, records = [], {}
    for rule_file in test.get("rule_files", []):
        for group in read_rule_file(test_file.parent / rule_file, rule_file):
            for rule in group.rules:
                if rule.kind == "alert":
                    alerts.append((rule.name, rule.expr))
                else:
                    records[rule.name] = (rule.expr, rule.labels)
    interval = parse_duration(test.get("evaluation_interval", "1m"))
    counts = {"groups": 0, "steps": 0, "instance_steps": 0, "unasserted": 0, "after_last": 0}
    for group in test.get("tests", []):
        tests = group.get("alert_rule_test", []) + group.get("promql_expr_test", [])
        end = max((parse_duration(t["eval_time"]) for t in tests), default=0.0)
        evaluator = case_evaluator(group, records)
        last: dict[str, float] = {}  # each asserted alert's last eval time in the group
        for t in group.get("alert_rule_test", []):
            last[t["alertname"]] = max(last.get(t["alertname"], 0.0), parse_duration(t["eval_time"]))
        times = evaluation_times(interval, end)
        counts["groups"] += 1
        counts["steps"] += len(times)
        for name, expr in alerts:
            active = {t: len(evaluator.instant(expr, t)) for t in times}
            counts["instance_steps"] += sum(active.values())
            if name not in last:
                counts["unasserted"] += sum(active.values())
            else:
                counts["after_last"] += sum(n for t, n in active.items() if t > last[name])
    counts["estimate_s"] = (
        PER_FILE
        + PER_GROUP * counts["groups"]
        + PER_STEP * counts["steps"]
        + PER_INSTANCE_STEP * counts["instance_steps"]
    )
    return counts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", type=Path, help="generated promtool test files")
    args = parser.parse_args(argv)
    total = dict.fromkeys(("groups", "steps", "instance_steps", "unasserted", "after_last", "estimate_s"), 0)
    print(f"{'file':40} groups steps active-instance-steps (unasserted; after last assertion) estimate-CPU-s")
    for path in args.files:
        counts = work(path)
        for key in total:
            total[key] += counts[key]
        print(
            f"{path.name:40} {counts['groups']:6} {counts['steps']:5} {counts['instance_steps']:21} "
            f"({counts['unasserted']:5}; {counts['after_last']:5}) {counts['estimate_s']:14.3f}"
        )
    if len(args.files) > 1:
        print(
            f"{'total':40} {total['groups']:6} {total['steps']:5} {total['instance_steps']:21} "
            f"({total['unasserted']:5}; {total['after_last']:5}) {total['estimate_s']:14.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
