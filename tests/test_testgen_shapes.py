"""`monitoring testgen` on small rule files shaped like the corpus' alerts that used to go untested: every rule
must get its tests, and the real promtool must pass them."""

import subprocess
import textwrap

import yaml

from monitoring.adopt.rule_tests import generated_tests
from monitoring.testgen.case_names import case_names
from monitoring.verify.tools import find_tool


def _tested(tmp_path, rules: str) -> list[str]:
    """The case names of the tests written for a rule file: every rule must get tests, and promtool must pass them."""
    rule_file = tmp_path / "team.rules.yml"
    rule_file.write_text(textwrap.dedent(rules))
    out = tmp_path / "out"
    files, results = generated_tests([rule_file], out)
    out.mkdir()
    for name, data in files.items():
        (out / name).write_bytes(data)
    result = results[0][1]
    assert result.untested == [], result.untested
    run = subprocess.run(
        [find_tool("promtool"), "test", "rules", str(out / "team.test.yml")], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout + run.stderr
    tests = yaml.safe_load((out / "team.test.yml").read_text())
    return [name for group in tests["tests"] for name in case_names(group)]


def test_annotations_beyond_labels_and_value(tmp_path):
    names = _tested(
        tmp_path,
        """
        groups:
        - name: g
          rules:
          - alert: HeapObjectsHigh
            expr: go_memstats_heap_objects > 10000000
            for: 5m
            annotations:
              description: "VALUE = {{ $value }} ({{ humanize $value }}, {{ $value | humanize1024 }})"
              env: '{{ if eq .ExternalLabels.environment "production" }}prod{{ else }}other{{ end }}'
              where: "{{ with $labels.instance -}} on {{ . }} {{- end }}"
        """,
    )
    assert any(n.startswith("HeapObjectsHigh: fires") for n in names)


def test_rates_and_slopes_far_above_a_million_per_second(tmp_path):
    names = _tested(
        tmp_path,
        """
        groups:
        - name: g
          rules:
          - alert: AllocationsHigh
            expr: rate(go_memstats_alloc_bytes_total[5m]) > 1e9
            for: 2m
          - alert: HeapGrowing
            expr: deriv(go_memstats_heap_inuse_bytes[10m]) > 1e7
            for: 5m
          - alert: DiskDraining
            expr: deriv(node_filesystem_avail_bytes[10m]) < -1e8
            for: 5m
        """,
    )
    for alert in ("AllocationsHigh", "HeapGrowing", "DiskDraining"):
        assert any(n.startswith(f"{alert}: fires") for n in names)
        assert any(n.startswith(f"{alert}: safe side") for n in names)


def test_quantile_thresholds_above_the_default_buckets(tmp_path):
    names = _tested(
        tmp_path,
        """
        groups:
        - name: g
          rules:
          - alert: QueueLatencyHigh
            expr: histogram_quantile(0.95, sum by (le) (rate(sidekiq_jobs_queue_duration_seconds_bucket[5m]))) > 60
            for: 5m
        """,
    )
    assert any(n.startswith("QueueLatencyHigh: fires") for n in names)


def test_counters_read_raw_and_gauges_with_a_quantile_label(tmp_path):
    names = _tested(
        tmp_path,
        """
        groups:
        - name: g
          rules:
          - alert: ApacheRestart
            expr: apache_uptime_seconds_total / 60 < 1
          - alert: PgUnavailable
            expr: ceph_pg_total - ceph_pg_active > 0
            for: 5m
          - alert: TombstonesScanned
            expr: avg by (instance) (cassandra_table_tombstones_scanned{quantile="0.99"}) > 1000
        """,
    )
    for alert in ("ApacheRestart", "PgUnavailable", "TombstonesScanned"):
        assert any(n.startswith(f"{alert}: fires") for n in names)


def test_expiry_times_ahead_of_the_clock(tmp_path):
    names = _tested(
        tmp_path,
        """
        groups:
        - name: g
          rules:
          - alert: CertExpiringSoon
            expr: avg by (name) (certmanager_certificate_expiration_timestamp_seconds - time()) < 21 * 24 * 3600
            for: 1h
          - alert: SslCertificateExpiry
            expr: ssl_verified_cert_not_after{chain_no="0"} - time() < 86400 * 7
          - alert: SslCertificateExpired
            expr: round((last_over_time(probe_ssl_earliest_cert_expiry[10m]) - time()) / 86400, 0.1) < 0
        """,
    )
    for alert in ("CertExpiringSoon", "SslCertificateExpiry", "SslCertificateExpired"):
        assert any(n.startswith(f"{alert}: safe side") for n in names)


def test_error_ratios_sums_of_rates_and_histogram_traffic(tmp_path):
    names = _tested(
        tmp_path,
        """
        groups:
        - name: g
          rules:
          - alert: DnsErrorRatioHigh
            expr: >
              sum by (pod) (rate(hubble_dns_responses_total{rcode!="No Error"}[5m]))
              / sum by (pod) (rate(hubble_dns_responses_total[5m])) > 0.1
            for: 10m
          - alert: QueryLatencyHigh
            expr: >
              histogram_quantile(0.99, sum by (job, le) (rate(http_request_duration_seconds_bucket[5m]))) > 40
              and sum by (job) (rate(http_request_duration_seconds_count[5m])) > 0
            for: 10m
          - alert: NoLogins
            expr: sum by (realm) (rate(logins_total[15m])) + sum by (realm) (rate(failed_total[15m])) > 0
            for: 5m
          - alert: LowQuantileBelow
            expr: histogram_quantile(0.01, sum by (le) (rate(cert_expiration_seconds_bucket[5m]))) < 7*24*60*60
        """,
    )
    for alert in ("DnsErrorRatioHigh", "QueryLatencyHigh", "NoLogins", "LowQuantileBelow"):
        assert any(n.startswith(f"{alert}: fires") for n in names)


def test_a_label_value_named_only_on_a_recorded_series(tmp_path):
    names = _tested(
        tmp_path,
        """
        groups:
        - name: g
          rules:
          - record: search:requests:rate5m
            expr: sum by (status) (rate(http_requests_total{job="search"}[5m]))
          - record: search:success:ratio_rate5m
            expr: (sum(search:requests:rate5m{status="200"}) / sum(search:requests:rate5m) > 0) or vector(1)
          - alert: SearchDegraded
            expr: search:success:ratio_rate5m < 0.99
            for: 10m
        """,
    )
    assert any(n.startswith("SearchDegraded: fires") for n in names)


def test_summaries_read_through_sum_and_count_and_changes_of_a_counter(tmp_path):
    names = _tested(
        tmp_path,
        """
        groups:
        - name: g
          rules:
          - alert: GcTimeTooHigh
            expr: sum by (instance) (rate(jvm_gc_collection_seconds_sum[5m])) > 0.5
            for: 5m
          - alert: OldGenGcFrequency
            expr: rate(jvm_gc_collection_seconds_count{gc=~".*old.*|.*major.*"}[5m]) > 0.1
            for: 5m
          - alert: UnavailableWrites
            expr: changes(cassandra_client_request_unavailable_exceptions_total{operation="write"}[1m]) > 0
          - alert: TenantsAnHourAgo
            expr: max by (pod) (cortex_ingester_memory_users offset 1h) > 100
        """,
    )
    for alert in ("GcTimeTooHigh", "OldGenGcFrequency", "UnavailableWrites", "TenantsAnHourAgo"):
        assert any(n.startswith(f"{alert}: fires") for n in names)


def test_sides_matched_on_every_label_share_their_label_names(tmp_path):
    names = _tested(
        tmp_path,
        """
        groups:
        - name: g
          rules:
          - alert: HostOutOfDiskSpace
            expr: >
              (node_filesystem_avail_bytes{fstype!~"^(fuse.*|tmpfs|cifs|nfs)"} / node_filesystem_size_bytes < .10
              and on (instance, device, mountpoint) node_filesystem_readonly == 0)
            for: 2m
        """,
    )
    assert any(n.startswith("HostOutOfDiskSpace: fires") for n in names)


def test_counts_of_series_move_with_the_number_of_targets(tmp_path):
    names = _tested(
        tmp_path,
        """
        groups:
        - name: g
          rules:
          - alert: VersionMismatch
            expr: count(count by (version) (gitlab_build_info)) > 1
            for: 5m
          - alert: TooManyMasters
            expr: count(redis_instance_info{role="master"}) > 1
          - alert: MissingMaster
            expr: (count(redis_instance_info{role="master"}) or vector(0)) < 1
          - alert: EvenMembers
            expr: count(etcd_server_id) % 2 == 0
        """,
    )
    for alert in ("VersionMismatch", "TooManyMasters", "MissingMaster", "EvenMembers"):
        assert any(n.startswith(f"{alert}: fires") for n in names)
