"""Our model of Prometheus 2.42's PromQL: parsing with error positions, label inference, the evaluator."""
