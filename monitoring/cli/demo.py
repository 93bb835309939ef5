"""`monitoring demo`: simulator, Prometheus and Alertmanager on this machine, to watch alerts fire."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import click

from monitoring.cli.common import out_option, user_errors
from monitoring.cli.simulate import describe_faults, fault_option, parse_faults


@click.command()
@out_option("Generated folder whose rules and Alertmanager config to run.")
@click.option(
    "--fast",
    is_flag=True,
    help="Run every rule and routing duration N times faster (the end-to-end tests' overlay), "
    "so alerts fire in seconds instead of minutes.",
)
@click.option("--speedup", default=60.0, show_default=True, type=click.FloatRange(min=1), help="N for --fast.")
@click.option(
    "--policies",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    envvar="MONITORING_POLICIES",
    help="Policies folder for --fast. Default: ./policies.",
)
@click.option(
    "--simulator-port",
    default=0,
    type=click.IntRange(0, 65535),
    help="Port for the simulator (default: any free port).",
)
@fault_option
@user_errors
def demo(out, fast, speedup, policies, simulator_port, faults):
    """Run the A/B simulator, Prometheus and Alertmanager locally and print their URLs (Ctrl-C stops all).

    Prometheus loads the generated rules, Alertmanager the generated routing; Slack and PagerDuty
    receivers deliver to a local sink whose notifications are printed here as they arrive.
    """
    from monitoring.e2e import demo as demo_stack
    from monitoring.e2e.processes import ServerError

    try:
        _run(out, fast, speedup, policies, simulator_port, parse_faults(faults), demo_stack)
    except ServerError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:  # during start-up: everything started has been stopped
        pass
    click.echo("stopped.")


def _run(out, fast, speedup, policies, simulator_port, chosen, demo_stack):
    from monitoring.e2e.notices import read

    with tempfile.TemporaryDirectory(prefix="monitoring-demo-") as workdir:
        if fast:
            servers = demo_stack.fast_servers(Path(workdir), speedup, policies, simulator_port)
        else:
            servers = demo_stack.generated_servers(Path(workdir), out, simulator_port)
        click.echo("starting simulator, Prometheus and Alertmanager ...")
        with servers:
            for name, model in chosen:
                servers.simulator.activate(name, model)
            click.echo(f"simulator     {servers.simulator.url}/metrics")
            click.echo(f"prometheus    {servers.prometheus.url}/alerts")
            click.echo(f"alertmanager  {servers.alertmanager.url}/#/alerts")
            click.echo(f"sink          {servers.sink.url} (Slack, PagerDuty and webhook payloads, printed below)")
            click.echo(
                "timings: "
                + (
                    f"x{speedup:g} (--fast)"
                    if fast
                    else "as generated: alerts need their rate windows and `for` (minutes); try --fast"
                )
            )
            click.echo(describe_faults(servers.simulator.url))
            click.echo("Ctrl-C to stop everything.")
            seen, heartbeats = 0, set()
            try:
                while True:
                    deliveries = servers.sink.deliveries()
                    for delivery in deliveries[seen:]:
                        for notice in read(delivery):
                            if notice.integration == "webhook" and notice.status == "firing":
                                # the Watchdog's heartbeat is re-sent every minute (every second with --fast)
                                if (notice.alertname, notice.receiver) in heartbeats:
                                    continue
                                heartbeats.add((notice.alertname, notice.receiver))
                                click.echo(f"[{time.strftime('%H:%M:%S')}] {notice} (repeats not printed)")
                                continue
                            click.echo(
                                f"[{time.strftime('%H:%M:%S')}] {notice}"
                                + (f"  ({notice.problem})" if notice.problem else "")
                            )
                    seen = len(deliveries)
                    time.sleep(0.5)
            except KeyboardInterrupt:
                click.echo("stopping ...")
