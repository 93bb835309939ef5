"""SLOs of the A/B test: per-model availability and latency error budgets, alerting on burn rates.

A stack of its own (over the A/B catalog's counters): its rules live in their own file, so the long windows of
the burn-rate rules (up to 3 days) cost nothing to the A/B stack's own tests, and its error-budget dashboard
stands beside the A/B dashboard.
"""
from monitoring import SLO, EventRatio, Latency, Stack, error_budget_dashboard, slo_rule_groups
from monitoring.definitions.ab_test import GRAFANA_URL, REQUESTS, RESPONSE_TIME, RUNBOOK_BASE_URL

# Error budgets per model over 30 days; alerts on burn rates with the SRE Workbook's windows.
SLOS = (
    SLO("availability", 99.0, EventRatio(REQUESTS, bad={"status": "error"}), by=("model_name",),
        alert_name="AvailabilityBudgetBurn", team="ml-platform", for_="2m",
        description="99% of prediction requests succeed, per model, over 30 days."),
    SLO("latency", 95.0, Latency(RESPONSE_TIME, under=0.2), by=("model_name",),
        alert_name="LatencyBudgetBurn", team="ml-platform", for_="2m",
        description="95% of prediction requests are served within 200 ms, per model, over 30 days."),
)
SLO_DASHBOARD = error_budget_dashboard("A/B Test: Error Budgets", SLOS, uid="ab-test-error-budgets",
                                       tags=("ab-test", "slo", "generated"))

STACK = Stack(
    "ab-test-slo",
    metrics=(REQUESTS, RESPONSE_TIME),
    dashboards=(SLO_DASHBOARD,),
    # every minute: the burn-rate windows are 5 minutes to 3 days long
    groups=slo_rule_groups(SLOS, "ab_test", interval="1m"),
    team="ml-platform",
    runbook_base_url=RUNBOOK_BASE_URL,
    grafana_url=GRAFANA_URL,
)
