"""How long the secrets guard takes on 1 MB of hostile text (a benchmark, not a test: prints seconds).

Each input is one 1 MB description inside a rendered rule file, shaped to make a careless regular
expression backtrack: long runs of what a pattern scans, its literal start repeated, near misses.
Every pattern of monitoring/pipeline/secrets.py must stay linear, so each line should print well
under a second.  Usage: .venv/bin/python bench/secrets_guard.py [--size BYTES]
"""

from __future__ import annotations

import argparse
import time

from monitoring.pipeline.secrets import redact, scan_bytes

SHAPES = {
    "plain prose": "the model answers in time " * 40_000,
    "one long word": "a" * 1_000_000,
    "URL user, no @ (was quadratic)": "x://" + "a:" * 500_000,
    "scheme letters, no ://": "ab" * 500_000,
    "JWT starts, no dots": "eyJ-" * 250_000,
    "bearer then spaces": "bearer " + " " * 1_000_000,
    "bearer repeated": "Bearer abcdefg " * 70_000,
    "Slack token starts": "xoxb-" * 200_000,
    "query parameters": "?token={{x}}&sig={{y}}&" * 45_000,
    "private key headers": "-----BEGIN " * 90_000,
    "GitHub prefixes": "ghp_" * 250_000,
    "AWS prefixes": "AKIA" * 250_000,
    "escapes (slow path)": "\\n password " * 80_000,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="bytes per description (default 1 MB)")
    size = parser.parse_args().size
    print(f"{'input':34} {'scan':>8} {'redact':>8}   ({size:,} bytes each)")
    worst = 0.0
    for name, text in SHAPES.items():
        text = (text * (size // len(text) + 1))[:size]
        document = f"groups:\n- name: g\n  rules:\n  - alert: A\n    annotations:\n      description: '{text}'\n"
        started = time.perf_counter()
        scan_bytes("rules.yml", document.encode())
        scanned = time.perf_counter() - started
        started = time.perf_counter()
        redact(text)
        redacted = time.perf_counter() - started
        worst = max(worst, scanned, redacted)
        print(f"{name:34} {scanned:7.3f}s {redacted:7.3f}s")
    print(f"worst: {worst:.3f}s")


if __name__ == "__main__":
    main()
