"""End-to-end harness: simulator, Prometheus and Alertmanager on loopback with a test-only timing overlay."""
