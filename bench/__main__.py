"""`python -m bench [--quick]`: every benchmark in turn, each in its own process and with its
own database. A new benchmark is a module with a main() that ends with harness.emit(); add
its name here."""

import subprocess
import sys
import time

BENCHES = ("push", "ingest", "pages", "reconcile", "latency", "live_push", "webhooks_out")


def main() -> None:
    started = time.monotonic()
    failed = []
    for name in BENCHES:
        print(flush=True)
        code = subprocess.call([sys.executable, "-m", f"bench.{name}", *sys.argv[1:]])  # noqa: S603
        if code:
            failed.append(name)
    minutes = (time.monotonic() - started) / 60
    print(f"\n[bench] {len(BENCHES)} benchmarks in {minutes:.1f} min", file=sys.stderr)
    if failed:
        sys.exit(f"[bench] failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
