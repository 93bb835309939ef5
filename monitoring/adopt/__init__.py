"""`monitoring import`: existing rule files, dashboards and Alertmanager configs into definitions and policies."""
