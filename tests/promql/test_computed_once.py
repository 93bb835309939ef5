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
