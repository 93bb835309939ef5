"""A/B test of two prediction models: baseline (70% of traffic) against enhanced (30%).

Everything the ML team watches is defined here once: the metric catalog, the thresholds,
the recording rules, the alerts and the dashboard. Panels, alerts and generated tests all
reference these objects, so a threshold changed here changes all of them together.
"""
from monitoring import (
    COUNTER,
    GAUGE,
    HISTOGRAM,
    Alert,
    Dashboard,
    Gauge,
    Label,
    LabelVariable,
    Link,
    Metric,
    PieChart,
    Query,
    RecordingRule,
    Row,
    RuleGroup,
    Stack,
    Stat,
    Step,
    Table,
    Text,
    Threshold,
    TimeSeries,
    above,
    absent,
    below,
    raw,
)

# --- Parameters ---------------------------------------------------------------------------------
TRAFFIC_TARGETS = {"baseline": 0.70, "enhanced": 0.30}   # intended share of requests per model
REVENUE_PER_PREDICTION_USD = 2.50                       # used by the daily revenue forecast
RUNBOOK_BASE_URL = "https://runbooks.example.com/ab-test"
JOB = "ab-test"                                          # Prometheus' scrape job of the A/B service (= stack name)
GRAFANA_URL = "http://localhost:3000"

# --- Labels and metric catalog --------------------------------------------------------------------
MODEL = Label("model_name", tuple(TRAFFIC_TARGETS))
STATUS = Label("status", ("success", "error"))
IMPACT_KIND = Label("metric_type", ("revenue_lift", "cost_impact", "net_business_value"))

REQUESTS = Metric("ab_test_requests_total", COUNTER, "Prediction requests served, by model and outcome.",
                  labels=(MODEL, STATUS))
RESPONSE_TIME = Metric("ab_test_response_time_seconds", HISTOGRAM, "Time to serve one prediction.",
                       unit="seconds", labels=(MODEL,),
                       buckets=(0.01, 0.025, 0.05, 0.075, 0.1, 0.125, 0.15, 0.175, 0.2, 0.225, 0.25,
                                0.3, 0.5, 1.0, 2.5))
ACCURACY = Metric("ab_test_model_accuracy", GAUGE, "Rolling prediction accuracy, in percent.",
                  unit="percent", labels=(MODEL,), min=0, max=100)
CONFIDENCE = Metric("ab_test_model_confidence", GAUGE, "Mean model confidence of recent predictions (0-1).",
                    labels=(MODEL,), min=0, max=1)
DRIFT = Metric("ab_test_prediction_drift_score", GAUGE,
               "Two-sample Kolmogorov-Smirnov statistic between baseline and enhanced predictions (0-1).",
               min=0, max=1)
BUSINESS_IMPACT = Metric("ab_test_business_impact", GAUGE, "Business impact of the enhanced model, in USD.",
                         unit="usd", labels=(IMPACT_KIND,))

# --- Thresholds (one object each: panel colours, alert conditions and tests) ------------------------
ACCURACY_T = Threshold("accuracy", unit="percent", steps=(
    Step(None, "dark-red", "complete failure"),
    Step(50, "red", "failing"),
    Step(70, "yellow", "degraded"),
    Step(75, "yellow", "acceptable"),
    Step(80, "green", "healthy"),
))
ERROR_RATIO_T = Threshold("error ratio", unit="ratio", steps=(
    Step(None, "green", "normal"),
    Step(0.02, "yellow", "elevated"),
    Step(0.05, "red", "high"),
))
LATENCY_T = Threshold("p95 latency", unit="seconds", steps=(
    Step(None, "green", "fast"),
    Step(0.15, "yellow", "slowing"),
    Step(0.2, "red", "slow"),
))
SPLIT_T = Threshold("traffic split deviation", unit="percentage points", steps=(
    Step(None, "green", "on target"),
    Step(5, "red", "off target"),
))
DRIFT_T = Threshold("prediction drift", steps=(
    Step(None, "green", "stable"),
    Step(0.3, "red", "drifting"),
))
CONFIDENCE_T = Threshold("model confidence", unit="ratio", steps=(
    Step(None, "red", "low"),
    Step(0.7, "green", "confident"),
))

# --- Recording rules ------------------------------------------------------------------------------
REQUEST_RATE = RecordingRule("model_name:ab_test_requests:rate5m",
                             f"sum by (model_name) (rate({REQUESTS}[5m]))")
STATUS_RATE = RecordingRule("model_name_status:ab_test_requests:rate5m",
                            f"sum by (model_name, status) (rate({REQUESTS}[5m]))")
ERROR_RATE = RecordingRule("model_name:ab_test_requests_errors:rate5m",
                           f"sum by (model_name) (rate({REQUESTS.select(status='error')}[5m]))")
ERROR_RATIO = RecordingRule("model_name:ab_test_requests:error_ratio5m", f"{ERROR_RATE} / {REQUEST_RATE}")
TRAFFIC_SHARE = RecordingRule("model_name:ab_test_requests:traffic_share5m",
                              f"{REQUEST_RATE} / ignoring (model_name) group_left sum({REQUEST_RATE})")
SPLIT_DEVIATION = RecordingRule(
    "model_name:ab_test_traffic_share:deviation_pp5m",
    "100 * (" + " or ".join(f'abs({TRAFFIC_SHARE}{{model_name="{model}"}} - {target})'
                            for model, target in TRAFFIC_TARGETS.items()) + ")")
LATENCY = {q: RecordingRule(f"model_name:ab_test_response_time_seconds:p{q}_5m",
                            f"histogram_quantile(0.{q}, sum by (model_name, le) "
                            f"(rate({RESPONSE_TIME.bucket}[5m])))")
           for q in (50, 95, 99)}
REQUESTS_1H = RecordingRule("model_name:ab_test_requests:increase1h",
                            f"sum by (model_name) (increase({REQUESTS}[1h]))")
ACCURACY_15M = RecordingRule("model_name:ab_test_model_accuracy:avg15m",
                             f"avg by (model_name) (avg_over_time({ACCURACY}[15m]))")
CONFIDENCE_5M = RecordingRule("model_name:ab_test_model_confidence:avg5m",
                              f"avg by (model_name) (avg_over_time({CONFIDENCE}[5m]))")
# requests per day x accuracy lift of enhanced over baseline (percentage points / 100) x revenue per prediction
REVENUE_FORECAST = RecordingRule(
    ":ab_test_revenue_impact:forecast_usd_1d",
    f"sum({REQUEST_RATE}) * 86400"
    f' * (sum({ACCURACY_15M}{{model_name="enhanced"}}) - sum({ACCURACY_15M}{{model_name="baseline"}})) / 100'
    f" * {REVENUE_PER_PREDICTION_USD}")

# --- Dashboard ------------------------------------------------------------------------------------


def for_selected_models(series) -> str:
    """Restrict a per-model series to the models picked in the dashboard's $model_name variable."""
    return f'{series}{{model_name=~"$model_name"}}'


TRAFFIC_PIE = PieChart(
    "Traffic Distribution", [Query(for_selected_models(REQUEST_RATE), legend="{{model_name}}")],
    unit="reqps", decimals=2, description="Requests per second served by each model.")
TRAFFIC_SHARE_STAT = Stat(
    "Traffic Share vs Target",
    [Query(f'{TRAFFIC_SHARE}{{model_name="{m}"}}', legend=f"{m} (target {t:.0%})")
     for m, t in TRAFFIC_TARGETS.items()],
    unit="percentunit", decimals=1, width=6, description="Each model's share of requests against its target.")
SPLIT_DEVIATION_STAT = Stat(
    "Traffic Split Deviation", [Query(SPLIT_DEVIATION, legend="{{model_name}}")], unit="none", decimals=1,
    thresholds=SPLIT_T, width=6, description="Distance of each model's share from its target, in percentage points.")
ACCURACY_STAT = Stat(
    "Model Accuracy Comparison", [Query(for_selected_models(ACCURACY_15M), legend="{{model_name}}")],
    unit="percent", decimals=1, thresholds=ACCURACY_T, min=0, max=100, width=12,
    description="15-minute average accuracy per model.")
DRIFT_PANEL = TimeSeries(
    "Prediction Drift", [Query(DRIFT, legend="KS statistic")], unit="none", decimals=2, thresholds=DRIFT_T,
    min=0, max=1, description="Kolmogorov-Smirnov statistic between the two models' predictions.")
CONFIDENCE_PANEL = TimeSeries(
    "Model Confidence", [Query(for_selected_models(CONFIDENCE_5M), legend="{{model_name}}")],
    unit="percentunit", decimals=1, thresholds=CONFIDENCE_T, min=0, max=1)
CONFIDENCE_GAUGE = Gauge(
    "Current Model Confidence", [Query(for_selected_models(CONFIDENCE_5M), legend="{{model_name}}")],
    unit="percentunit", decimals=1, thresholds=CONFIDENCE_T, min=0, max=1, width=12)
LATENCY_PANEL = TimeSeries(
    "Response Time Distribution",
    [Query(for_selected_models(LATENCY[q]), legend=f"p{q} {{{{model_name}}}}") for q in (50, 95, 99)],
    unit="s", decimals=3, thresholds=LATENCY_T, legend="table")
REQUEST_RATE_PANEL = TimeSeries(
    "Request Rate Over Time", [Query(for_selected_models(STATUS_RATE), legend="{{model_name}} {{status}}")],
    unit="reqps", decimals=2)
ERROR_RATIO_PANEL = TimeSeries(
    "Error Ratio", [Query(for_selected_models(ERROR_RATIO), legend="{{model_name}}")],
    unit="percentunit", decimals=2, thresholds=ERROR_RATIO_T)
BUSINESS_STAT = Stat(
    "Business Impact Summary",
    [Query(BUSINESS_IMPACT.select(metric_type=kind), legend=kind.replace("_", " ")) for kind in
     ("net_business_value", "revenue_lift", "cost_impact")],
    unit="currencyUSD", decimals=0, width=12, description="Net business value, revenue lift and cost impact.")
FORECAST_STAT = Stat(
    "Daily Revenue Impact Forecast", [Query(REVENUE_FORECAST, legend="forecast (USD/day)")],
    unit="currencyUSD", decimals=0, width=12,
    description=f"Requests per day x accuracy lift of enhanced over baseline x {REVENUE_PER_PREDICTION_USD} USD.")
SUMMARY_TABLE = Table(
    "Per-model Summary",
    [Query(for_selected_models(rule), legend=name, instant=True) for name, rule in (
        ("share", TRAFFIC_SHARE), ("accuracy", ACCURACY_15M), ("p95", LATENCY[95]), ("errors", ERROR_RATIO))],
    unit="short", decimals=3)
ABOUT = Text("About this A/B test", content=(
    "Baseline serves 70% of traffic and enhanced 30%. Alerts page PagerDuty when critical and post to "
    "Slack when warning; every alert links back to the panel that shows it."), width=24, height=3)

DASHBOARD = Dashboard(
    "A/B Test: Model Comparison",
    uid="ab-test-model-comparison",
    tags=("ab-test", "ml", "generated"),
    description="Traffic split, quality, latency, errors, drift and business impact of the model A/B test.",
    variables=(LabelVariable(MODEL, REQUESTS),),
    links=(Link("Runbooks", url=RUNBOOK_BASE_URL),),
    rows=(
        Row("Overview", (ABOUT,)),
        Row("Traffic", (TRAFFIC_PIE, TRAFFIC_SHARE_STAT, SPLIT_DEVIATION_STAT)),
        Row("Model quality", (ACCURACY_STAT, CONFIDENCE_GAUGE, DRIFT_PANEL, CONFIDENCE_PANEL)),
        Row("Performance", (LATENCY_PANEL, REQUEST_RATE_PANEL, ERROR_RATIO_PANEL, SUMMARY_TABLE)),
        Row("Business impact", (BUSINESS_STAT, FORECAST_STAT)),
    ),
)

# --- Alerts ---------------------------------------------------------------------------------------
ACCURACY_NOW = f"avg by (model_name) ({ACCURACY})"

ALERTS = (
    Alert("ModelCompleteFailure", below(ACCURACY_NOW, ACCURACY_T["failing"]), "2m", "critical",
          summary="A model's predictions are failing completely.",
          description='Accuracy of model {{ $labels.model_name }} is {{ $value | printf "%.1f" }}%, '
                      f"below {ACCURACY_T['failing'].value:g}%.",
          team="ml-platform", panel=ACCURACY_STAT),
    Alert("HighErrorRate", above(ERROR_RATIO, ERROR_RATIO_T["high"]), "1m", "critical",
          summary="A model is failing too many requests.",
          description="{{ $value | humanizePercentage }} of requests to model {{ $labels.model_name }} "
                      f"failed over 5 minutes (limit {ERROR_RATIO_T['high'].value:.0%}).",
          team="ml-platform", panel=ERROR_RATIO_PANEL),
    Alert("ModelAccuracyDegraded", below(ACCURACY_NOW, ACCURACY_T["acceptable"]), "5m", "warning",
          summary="A model's accuracy has degraded.",
          description='Accuracy of model {{ $labels.model_name }} is {{ $value | printf "%.1f" }}%, '
                      f"below {ACCURACY_T['acceptable'].value:g}%.",
          team="ml-platform", panel=ACCURACY_STAT),
    Alert("HighResponseTime", above(LATENCY[95], LATENCY_T["slow"]), "3m", "warning",
          summary="A model is responding slowly.",
          description="p95 response time of model {{ $labels.model_name }} is {{ $value | humanizeDuration }} "
                      f"(limit {LATENCY_T['slow'].value * 1000:g}ms).",
          team="ml-platform", panel=LATENCY_PANEL),
    Alert("TrafficSplitDeviation", above(SPLIT_DEVIATION, SPLIT_T["off target"]), "10m", "warning",
          summary="Traffic is not split between the models as intended.",
          description='Share of model {{ $labels.model_name }} is {{ $value | printf "%.1f" }} percentage '
                      f"points off its target (limit {SPLIT_T['off target'].value:g}).",
          team="ml-platform", panel=SPLIT_DEVIATION_STAT),
    Alert("PredictionDriftHigh", above(f"max({DRIFT})", DRIFT_T["drifting"]), "5m", "warning",
          summary="Predictions of the two models are drifting apart.",
          description='Kolmogorov-Smirnov drift score is {{ $value | printf "%.2f" }} '
                      f"(limit {DRIFT_T['drifting'].value:g}).",
          team="data-science", panel=DRIFT_PANEL),
    Alert("ModelConfidenceLow", below(CONFIDENCE_5M, CONFIDENCE_T["confident"]), "10m", "warning",
          summary="A model is not confident in its predictions.",
          description="Mean confidence of model {{ $labels.model_name }} is {{ $value | humanizePercentage }} "
                      f"(minimum {CONFIDENCE_T['confident'].value:.0%}).",
          team="ml-platform", panel=CONFIDENCE_PANEL),
)

# --- Meta-monitoring: alerts about the monitoring itself ---------------------------------------------
# Every alert above compares series the service exports; if it stops reporting they all vanish and nothing
# fires, and if Alertmanager stops delivering nobody hears about anything. These two close both gaps.
META_ALERTS = (
    # A dead man's switch, as kube-prometheus' Watchdog: always firing, routed by the policy to the heartbeat
    # receiver only; the heartbeat service pages when the pings stop. No `for`: it must fire at once.
    Alert("Watchdog", raw("vector(1)"), "0s", "none",
          summary="Always firing: proves that alerts flow from Prometheus through Alertmanager.",
          description="This alert always fires, by design. Alertmanager sends it to the heartbeat service every "
                      "minute; when the heartbeats stop, Prometheus, Alertmanager or the path between them is "
                      "down and the heartbeat service pages. Never silence it.",
          team="ml-platform"),
    # The service's series are gone: the target is down (a failed scrape marks every series stale), it left
    # service discovery, or it stopped exporting. Every model alert is blind meanwhile, hence critical;
    # 5 minutes rides out a redeploy.
    Alert("ABTestMetricsAbsent", absent(f'{REQUESTS}{{job="{JOB}"}}'), "5m", "critical",
          summary="The A/B test service is not reporting metrics: every model alert is blind.",
          description=f"No {REQUESTS} series from job {JOB} for 5 minutes: the target is down, left service "
                      "discovery or stopped exporting. No A/B alert can fire until it reports again.",
          team="ml-platform", panel=REQUEST_RATE_PANEL),
)

STACK = Stack(
    JOB,
    metrics=(REQUESTS, RESPONSE_TIME, ACCURACY, CONFIDENCE, DRIFT, BUSINESS_IMPACT),
    dashboards=(DASHBOARD,),
    groups=(
        RuleGroup("ab_test.recording", "30s", (
            REQUEST_RATE, STATUS_RATE, ERROR_RATE, ERROR_RATIO, TRAFFIC_SHARE, SPLIT_DEVIATION,
            *LATENCY.values(), REQUESTS_1H, ACCURACY_15M, CONFIDENCE_5M, REVENUE_FORECAST)),
        RuleGroup("ab_test.alerts", "30s", ALERTS),
        RuleGroup("ab_test.meta", "30s", META_ALERTS),
    ),
    team="ml-platform",
    runbook_base_url=RUNBOOK_BASE_URL,
    grafana_url=GRAFANA_URL,
)
