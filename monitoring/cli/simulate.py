"""`monitoring simulate`: run the A/B test traffic simulator until Ctrl-C."""

from __future__ import annotations

import threading

import click


def fault_option(func):
    return click.option(
        "--fault",
        "faults",
        multiple=True,
        metavar="NAME[:MODEL]",
        help="Start with this fault switched on (repeatable). See the list printed at start.",
    )(func)


def parse_faults(values) -> list[tuple[str, str | None]]:
    from monitoring.runtime.simulator import FAULTS, MODELS

    parsed = []
    for value in values:
        name, _, model = value.partition(":")
        if name not in FAULTS:
            raise click.BadParameter(
                f"unknown fault {name!r}; faults: {', '.join(sorted(FAULTS))}", param_hint="--fault"
            )
        if model and model not in MODELS:
            raise click.BadParameter(f"unknown model {model!r}; models: {', '.join(MODELS)}", param_hint="--fault")
        parsed.append((name, model or None))
    return parsed


def describe_faults(url: str) -> str:
    from monitoring.runtime.simulator import FAULTS

    lines = ["faults (switch on and off while it runs):"]
    for fault in FAULTS.values():
        scope = "all models" if fault.whole_test else f"default model: {fault.default_model}"
        lines.append(f"  {fault.name:<22} fires {fault.alert:<22} {fault.description} ({scope})")
    lines += [
        f"  on:   curl -X POST {url}/faults/<name>[?model=baseline|enhanced]",
        f"  off:  curl -X DELETE {url}/faults/<name>     all off: curl -X DELETE {url}/faults",
        f"  list: curl {url}/faults",
    ]
    return "\n".join(lines)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0: any free port).",
)
@click.option(
    "--rate",
    default=100.0,
    show_default=True,
    type=click.FloatRange(min=1, max=1_000_000),
    callback=lambda _ctx, _param, value: _finite(value),
    help="Requests per second to simulate (1 to 1,000,000).",
)
@click.option("--seed", default=1, show_default=True, help="Seed of the latency and noise generator.")
@fault_option
def simulate(host, port, rate, seed, faults):
    """Serve simulated A/B test traffic: /metrics for Prometheus, /faults to inject problems.

    Baseline gets 70% of requests (45-55 ms, 1.2% errors), enhanced 30% (60-80 ms, 0.8% errors).
    Every metric comes from the definitions' catalog (monitoring.instrument).
    """
    from monitoring.runtime.simulator import Simulator

    chosen = parse_faults(faults)
    try:
        sim = Simulator(host=host, port=port, rate=rate, seed=seed)
    except OSError as exc:
        raise click.UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}; pass another --port") from None
    with sim:
        for name, model in chosen:
            sim.activate(name, model)
        click.echo(f"A/B test simulator: {sim.url}/metrics  ({rate:g} requests/s, seed {seed})")
        click.echo(describe_faults(sim.url))
        if chosen:
            click.echo(f"active: {sim.active()}")
        click.echo("Ctrl-C to stop.")
        wait_for_interrupt()
    click.echo("stopped.")


def wait_for_interrupt() -> None:
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass


def _finite(value: float) -> float:
    """FloatRange lets NaN through (every comparison with NaN is false)."""
    import math

    if not math.isfinite(value):
        raise click.BadParameter(f"{value} is not a finite number of requests per second")
    return value
