"""Generation of promtool rule tests: synthetic inputs, an independent evaluator, expected outputs."""
