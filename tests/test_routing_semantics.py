"""Our route-tree, matcher and inhibition evaluation against Alertmanager's own (amtool 0.25)."""

import random
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from monitoring.alertmanager.inhibition import InhibitRule, rules_from_config
from monitoring.alertmanager.matchers import MatcherError, parse_matcher
from monitoring.alertmanager.routing import group_key, only_root, receivers_for, route_from_config
from monitoring.verify.routing_tests import amtool_receivers
from monitoring.verify.tools import find_tool


@pytest.mark.parametrize(
    "text, labels, expected",
    [
        ('severity="critical"', {"severity": "critical"}, True),
        ("severity=critical", {"severity": "critical"}, True),
        ('severity!="critical"', {}, True),
        ('team=""', {}, True),  # a missing label matches the empty string
        ('model_name=~"base.*"', {"model_name": "baseline"}, True),
        ('model_name=~"base"', {"model_name": "baseline"}, False),  # regexes are anchored at both ends
        ('model_name!~"a|b"', {"model_name": "ab"}, True),
        ('model_name=~"a|b"', {"model_name": "b"}, True),
        (r'x="say \"hi\""', {"x": 'say "hi"'}, True),
    ],
)
def test_matcher_semantics(text, labels, expected):
    assert parse_matcher(text).matches(labels) is expected


@pytest.mark.parametrize(
    "text", ["severity", 'severity=="x"', 'a="b', 'a="b",c="d"', 'a=~"("', 'a=~"(?=x)"', '1a="b"', 'a="b"c']
)
def test_bad_matchers_are_rejected(text):
    with pytest.raises(MatcherError):
        parse_matcher(text)


def test_continue_inheritance_and_first_match():
    tree = route_from_config(
        {
            "receiver": "root",
            "group_by": ["alertname"],
            "repeat_interval": "4h",
            "routes": [
                {"receiver": "a", "matchers": ['team="x"'], "continue": True, "group_by": ["..."]},
                {
                    "matchers": ['severity=~"warning|critical"'],
                    "repeat_interval": "1h",
                    "routes": [
                        {"receiver": "b", "matchers": ['severity="critical"']},
                        {"receiver": "c", "matchers": ['severity="critical"']},
                    ],
                },
                {"receiver": "d", "matchers": ['team="x"']},
            ],
        }
    )
    assert receivers_for(tree, {"team": "x", "severity": "critical"}) == ["a", "b"]  # continue, then first match
    assert receivers_for(tree, {"team": "x"}) == ["a", "d"]
    assert receivers_for(tree, {"severity": "warning"}) == [
        "root"
    ]  # parent matched, no child: parent's inherited receiver
    assert only_root(tree, {"team": "y"}) and not only_root(tree, {"severity": "warning"})
    matched = tree.match({"severity": "critical"})[0]
    assert (matched.receiver, matched.repeat_interval, matched.group_by) == ("b", "1h", ("alertname",))
    first = tree.match({"team": "x"})[0]
    assert group_key(first, {"team": "x", "z": "1"}) == {"team": "x", "z": "1"}


def test_inhibition_semantics():
    rule = InhibitRule(
        (parse_matcher('severity="critical"'),), (parse_matcher('severity=~"warning|critical"'),), ("model_name",)
    )
    critical = {"alertname": "A", "severity": "critical", "model_name": "m"}
    assert rule.silences(critical, {"alertname": "B", "severity": "warning", "model_name": "m"})
    assert not rule.silences(critical, {"alertname": "B", "severity": "warning", "model_name": "n"})
    assert not rule.silences(critical, {"alertname": "B", "severity": "warning"})  # "" != "m"
    # A target that also matches the source side is not muted by a source that also matches the target side.
    assert not rule.silences(critical, {"alertname": "C", "severity": "critical", "model_name": "m"})
    assert not rule.silences(critical, critical)
    both_missing = InhibitRule((parse_matcher('a="1"'),), (parse_matcher('a="2"'),), ("model_name",))
    assert both_missing.silences({"a": "1"}, {"a": "2"})  # missing on both sides counts as equal
    assert rules_from_config([{"source_matchers": ['a="1"'], "target_matchers": ['a="2"'], "equal": ["x"]}])[
        0
    ].equal == ("x",)


def _random_route(rng, depth):
    node = {
        "matchers": [
            f'{rng.choice("abc")}{rng.choice(["=", "!=", "=~", "!~"])}"{rng.choice(["x", "y", "", "x|y", ".+"])}"'
            for _ in range(rng.randint(1, 2))
        ]
    }
    if rng.random() < 0.6:
        node["receiver"] = rng.choice(["r1", "r2", "r3", "r4"])
    if rng.random() < 0.4:
        node["continue"] = True
    if depth < 2 and rng.random() < 0.5:
        node["routes"] = [_random_route(rng, depth + 1) for _ in range(rng.randint(1, 3))]
    return node


def test_own_route_evaluation_agrees_with_amtool_on_random_trees(tmp_path):
    """200 label sets through 25 random trees (regexes, negations, continue, nesting, inherited receivers)."""
    rng = random.Random(20240601)
    amtool = find_tool("amtool")
    cases = []
    for n in range(25):
        config = {
            "route": {"receiver": "root", "routes": [_random_route(rng, 0) for _ in range(rng.randint(1, 4))]},
            "receivers": [{"name": name} for name in ("root", "r1", "r2", "r3", "r4")],
        }
        path = tmp_path / f"tree{n}.yml"
        path.write_text(yaml.safe_dump(config))
        for _ in range(8):
            labels = {k: rng.choice(["x", "y", "z"]) for k in "abc" if rng.random() < 0.7}
            labels["alertname"] = "Random"
            cases.append((path, config, labels))
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda case: amtool_receivers(amtool, case[0], case[2]), cases))
    disagreements = [
        (path.name, labels, answer, receivers_for(route_from_config(config["route"]), labels))
        for (path, config, labels), answer in zip(cases, answers)
        if answer != receivers_for(route_from_config(config["route"]), labels)
    ]
    assert not disagreements
    assert len({tuple(a) for a in answers}) > 5, "the random trees should reach varied receivers"
    assert any(len(a) > 1 for a in answers), "some label sets should reach several receivers (continue)"


def test_amtool_check_config_rejects_what_our_policy_schema_would_also_reject(tmp_path):
    """Sanity of the tool itself: a route to an unknown receiver fails check-config."""
    path = tmp_path / "bad.yml"
    path.write_text(yaml.safe_dump({"route": {"receiver": "nobody"}, "receivers": [{"name": "root"}]}))
    proc = subprocess.run([find_tool("amtool"), "check-config", str(path)], capture_output=True, text=True)
    assert proc.returncode != 0 and "nobody" in proc.stdout + proc.stderr
