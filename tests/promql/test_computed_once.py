"""What the evaluator computes once (a subquery's points, a rule's value per parsed expression) must equal what a
fresh evaluator computes at each step."""

import math

from monitoring.promql.evaluator import Evaluator, Series, labels_of

SERIES = [
    Series(
        labels_of({"__name__": "g", "client": str(c)}),
        tuple((k * 60.0, math.sin(k / 7 + c) / 2 + 0.5) for k in range(400)),
    )
    for c in range(4)
]
EXPRESSIONS = [
    "sum_over_time((count(g < 0.5))[1h:]) or on() vector(0)",
    "max_over_time((rate(g[5m]))[30m:2m] offset 3m)",
    "avg_over_time((g > 0.3)[20m:])",
    "sum_over_time((count(g < 0.5))[10m:] @ end())",  # @ in the outer subquery: points keyed by the inner text
    "min_over_time((g @ end())[10m:])",  # @ inside: never shared
]
RULES = {"r:a": ("sum(g) / count(g)", {}), "r:b": ("sum (g)  /  count (g)", {"kind": "b"})}


def test_one_evaluator_over_many_steps_equals_a_fresh_one_per_step():
    shared = Evaluator(SERIES, RULES)
    for k in range(0, 380, 7):
        t = k * 60.0 + (13 if k % 2 else 0)
        fresh = Evaluator(SERIES, RULES)
        for expr in [*EXPRESSIONS, "r:a", "r:b"]:
            assert shared.instant(expr, t) == fresh.instant(expr, t), (expr, t)


def test_rules_alike_keep_their_own_labels():
    evaluator = Evaluator(SERIES, RULES)
    [(a_labels, a)], [(b_labels, b)] = evaluator.instant("r:a", 600), evaluator.instant("r:b", 600)
    assert a == b and dict(b_labels)["kind"] == "b" and "kind" not in dict(a_labels)


def test_with_rule_order_what_is_shared_depends_on_the_reading_rule():
    # r:first and r:last read r:mid alike; r:first is evaluated before r:mid at each tick, so it sees r:mid as of
    # the previous tick, r:last sees this tick's. Sharing must not hand one the other's value.
    series = [Series(labels_of({"__name__": "g"}), tuple((k * 60.0, float(k)) for k in range(60)))]
    rules = {
        "r:first": ("max_over_time(r:mid[1m:1m])", {}),
        "r:mid": ("g", {}),
        "r:last": ("max_over_time(r:mid[1m:1m])", {}),
    }
    order = {"r:first": 0, "r:mid": 1, "r:last": 2}
    shared = Evaluator(series, rules, rule_interval=60.0, rule_order=order)
    for t in (600.0, 1200.0):
        for name in ("r:last", "r:first"):
            fresh = Evaluator(series, rules, rule_interval=60.0, rule_order=order)
            assert shared.instant(name, t) == fresh.instant(name, t), (name, t)
    [(_, first)], [(_, last)] = shared.instant("r:first", 1200.0), shared.instant("r:last", 1200.0)
    assert (first, last) == (19.0, 20.0)
