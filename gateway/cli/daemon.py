"""`gateway run`: the daemon, every partner polled on its schedule."""

from __future__ import annotations

import argparse
import logging
from urllib.parse import unquote, urlsplit

from gateway.cli import args as cli_args
from gateway.cli.catalog import summary
from gateway.config.settings import load_config
from gateway.monitoring.logs import configure, env_values

RUN_EXAMPLES = """examples:
  gateway run
  gateway run --settle 5 --outbox-every 60
  gateway run --log-format json 2>> /var/log/gateway.jsonl
  gateway run --metrics-port 9464              # http://127.0.0.1:9464/metrics
  gateway run --metrics-port 9464 --metrics-host 0.0.0.0   # reachable from the network
"""


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = commands.add_parser(
        "run", help=summary("run"),
        description="Polls each partner in partners/*.yaml on its schedule (never two polls of "
        "one partner at once), sends what the outbox owes between polls, re-reads partner "
        "files when they change, and on SIGTERM or Ctrl-C finishes the polls in flight before "
        "it exits. Alerts (log line and optional signed webhook, see alerts in config.yaml) "
        "for rejected files, unreachable partners, overdue acknowledgements and near recall "
        "deadlines; secrets are redacted from the log.", epilog=RUN_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("--settle", type=cli_args.seconds(0, cli_args.SETTLE_MAX), default=2.0,
                     metavar="SECONDS", help="how long a file must stay unchanged before it "
                     f"is taken (default 2, at most {cli_args.SETTLE_MAX:g})")
    run.add_argument("--outbox-every", type=cli_args.seconds(0.1, 86_400), default=30.0,
                     metavar="SECONDS", help="how often acknowledgements owed between polls "
                     "are sent (default 30; 0.1 to 86400)")
    run.add_argument("--metrics-port", type=cli_args.port(0), default=None, metavar="PORT",
                     help="serve Prometheus metrics on http://HOST:PORT/metrics (default: "
                     "off; 0 picks a free port and logs it)")
    run.add_argument("--metrics-host", type=cli_args.host, default="127.0.0.1", metavar="HOST",
                     help="address the metrics endpoint listens on (default 127.0.0.1: only "
                     "this machine; 0.0.0.0 exposes it to the network)")
    run.add_argument("--node", type=cli_args.node_name, default=None, metavar="NAME",
                     help="what this node is called in `gateway nodes` and the log (default: "
                     "cluster.node in config.yaml, else the host name)")
    run.add_argument("--log-format", choices=("text", "json"), default="text",
                     help="text (default) or json: one JSON object per line with time, level, "
                     "logger, message, partner, file_id, control numbers...")
    run.set_defaults(run=_run_daemon)


def _run_daemon(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    # The daemon adds partner files' secrets as it reads them; these are the gateway's own.
    secrets = env_values([config.webhook_secret_env])
    if password := urlsplit(config.store_url).password:  # store.url_env's URL may hold one
        secrets.add(unquote(password))
    redactor = configure(args.log_format, secrets=secrets)
    # Their INFO lines say nothing an operator needs (paramiko: four a connection)
    for chatty in ("apscheduler", "alembic", "paramiko"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    # "maximum number of running instances reached": a poll outlasting its interval (a big
    # file, a slow link) is normal, and the next one simply starts when it ends
    logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
    metrics_at = None if args.metrics_port is None else (args.metrics_host, args.metrics_port)
    # APScheduler and the Prometheus client are loaded only when the daemon runs.
    from gateway.scheduler import Daemon  # noqa: PLC0415
    return Daemon(config, settle=args.settle, outbox_every=args.outbox_every,
                  metrics_at=metrics_at, redactor=redactor, node_name=args.node).run()
