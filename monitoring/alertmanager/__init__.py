"""Our model of Alertmanager 0.25: matchers, route and inhibition evaluation, the notification policy, alert
instances."""
