"""What runs beside a service: metrics instrumented from the catalog, and the A/B traffic simulator."""
