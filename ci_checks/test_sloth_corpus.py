"""Same answers as Sloth, over the four Sloth specs of the corpus: each spec in our API (monitoring.adopt.sloth),
our alerts against the rules `sloth generate` wrote for it, step by step (monitoring.adopt.sloth_compare).
Prints windows, factors and agreement counts per SLO (run with -s to see them)."""

from pathlib import Path

import pytest
import yaml

from monitoring.adopt.sloth import read_generated, slos_from_spec
from monitoring.adopt.sloth_compare import compare, counters, gauges

SPECS = ("getting-started.yml", "home-wifi.yml", "k8s-getting-started.yml", "kubernetes-apiserver.yml")
HTTP = "http_request_duration_seconds_count"
APISERVER = "apiserver_request_total"
LATENCY = "apiserver_request_duration_seconds"
WIFI = "unifipoller_client_satisfaction_ratio"

# Per Sloth SLO, input series its queries read: counters (labels, good, bad: the increase per sample is
# events x (good + bad x error ratio)), or the wifi clients' satisfaction gauges; plus series the queries must not
# read (another job, WATCH requests).
MYSERVICE = counters(
    ({"__name__": HTTP, "job": "myservice", "code": "500"}, 0, 0.5),
    ({"__name__": HTTP, "job": "myservice", "code": "429"}, 0, 0.5),
    ({"__name__": HTTP, "job": "myservice", "code": "200"}, 1, -1),
    ({"__name__": HTTP, "job": "other", "code": "500"}, 1, 0),
)
INPUTS = {
    "myservice-requests-availability": MYSERVICE,
    "k8s-apiserver-requests-availability": counters(
        ({"__name__": APISERVER, "code": "503"}, 0, 1),
        ({"__name__": APISERVER, "code": "200"}, 1, -1),
    ),
    "k8s-apiserver-requests-latency": counters(
        ({"__name__": f"{LATENCY}_count", "verb": "GET"}, 1, 0),
        ({"__name__": f"{LATENCY}_bucket", "verb": "GET", "le": "0.4"}, 1, -1),
        ({"__name__": f"{LATENCY}_count", "verb": "WATCH"}, 1, 0),
    ),
    # 0.3 is a bad satisfaction for both SLOs (< 0.75 and < 0.5)
    "home-wifi-good-wifi-client-satisfaction": gauges(WIFI, 20, bad=0.3, good=0.9),
    "home-wifi-risk-wifi-client-satisfaction": gauges(WIFI, 20, bad=0.3, good=0.9),
}


@pytest.mark.parametrize("spec", SPECS)
def test_our_alerts_fire_and_resolve_at_sloths_steps(shared, spec):
    folder = shared / "corpora" / "slo" / "sloth"
    ours = slos_from_spec(yaml.safe_load((folder / spec).read_text()))
    theirs = read_generated(yaml.safe_load((folder / "_gen" / spec).read_text()))
    assert sorted(ours) == sorted(theirs)
    for sloth_id, slo in ours.items():
        result = compare(slo, theirs[sloth_id], INPUTS[sloth_id])
        print(f"{Path(spec).stem}: {result.summary()}")
        assert not result.differences, result.summary()
        assert [w[3] for w in result.windows] == [w[4] for w in result.windows]  # factors: ours == Sloth's
        for agreement in result.agreements:
            assert agreement.firing and agreement.changes >= 2, f"{sloth_id} {agreement.what} never fired"
            # the only differences allowed: a window at exactly the factor, tipped by Sloth's budget rounding
            others = agreement.steps - agreement.agreeing
            assert agreement.at_factor == agreement.sloth_only == others, result.summary()
