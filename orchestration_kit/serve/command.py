"""``orchestration-kit serve``: the simulated models behind an OpenAI-compatible API.

    $ orchestration-kit serve                      # http://127.0.0.1:8000/v1, real-time answers
    $ orchestration-kit serve --port 0 --speed 0   # any free port, instant answers (load tests)
    $ ORCHESTRATION_KIT_TOKEN=... orchestration-kit serve --host 0.0.0.0      # a classroom, one shared token
    $ orchestration-kit serve --host 0.0.0.0 --roster learners.csv            # a token per learner

Then point any OpenAI client at it, e.g. the kit's own backend::

    >>> model = OpenAICompatible("generalist-small", base_url="http://127.0.0.1:8000/v1", send_skills=True)

With a token (a shared secret for the class), or a roster of one token per learner,
clients send theirs as their API key. A host other than this machine's loopback needs
one or the other, unless ``--no-auth`` says an open endpoint is meant. Prefer the
environment variables to ``--token``: a command line is visible to every user of the
machine (``ps``). The server never prints or logs a token, but plain HTTP carries it
in clear: beyond a network you trust, put a TLS proxy in front.

Started by JupyterHub as a service, it listens where ``JUPYTERHUB_SERVICE_URL`` says
and serves under ``JUPYTERHUB_SERVICE_PREFIX`` (see docs/jupyterhub.md).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from urllib.parse import urlsplit

TOKEN_VARIABLE = "ORCHESTRATION_KIT_TOKEN"
INSTRUCTOR_VARIABLE = "ORCHESTRATION_KIT_INSTRUCTOR_TOKEN"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=None,
                        help="address to listen on (default 127.0.0.1: this machine only, or JupyterHub's "
                             "JUPYTERHUB_SERVICE_URL; 0.0.0.0 opens it to the network and then needs a token)")
    parser.add_argument("--port", type=int, default=None, help="port to listen on; 0 picks a free one (default 8000)")
    parser.add_argument("--speed", type=float, default=1.0,
                        help="time scale of the simulated latencies: 1 real time, 0.1 ten times faster, 0 instant")
    parser.add_argument("--seed", type=int, default=0, help="seed of the simulated models (default 0)")
    parser.add_argument("--no-failures", action="store_true",
                        help="serve the models without their simulated errors and rate limits")
    who = parser.add_argument_group("who may ask")
    who.add_argument("--token", default=None,
                     help=f"a shared secret that clients must send as their API key (default: ${TOKEN_VARIABLE}); "
                          "the variable is safer, as a command line is visible to other users")
    who.add_argument("--roster", default=None, metavar="CSV",
                     help="a CSV 'learner,token' giving each learner a token; empty tokens are generated and "
                          "written back to the file (keep it private), never printed")
    who.add_argument("--instructor-token", default=None,
                     help=f"the token of GET /usage, the instructor's view (default: ${INSTRUCTOR_VARIABLE})")
    who.add_argument("--requests-per-minute", type=int, default=0, metavar="N",
                     help="at most N requests a minute per learner (429 beyond); default 0, no limit")
    who.add_argument("--no-auth", action="store_true",
                     help="serve a non-loopback address with no token at all (anyone who can reach it may use it)")
    limits = parser.add_argument_group("patience and capacity")
    limits.add_argument("--header-timeout", type=float, default=10.0, metavar="S",
                        help="seconds for a request's headers to arrive once it has begun (default 10; then 408)")
    limits.add_argument("--body-timeout", type=float, default=30.0, metavar="S",
                        help="seconds for a request's body to arrive (default 30; then 408)")
    limits.add_argument("--idle-timeout", type=float, default=15.0, metavar="S",
                        help="seconds a kept-alive connection may wait for its next request (default 15)")
    limits.add_argument("--max-connections", type=int, default=None, metavar="N",
                        help="connections held at once (default: what the open-file limit allows, at most 1000)")
    parser.add_argument("--access-log", default="-", metavar="FILE",
                        help="one line per request, with no secret: '-' for stderr (default), a file, or 'off'")


def main(args: argparse.Namespace) -> int:
    from .server import ModelServer
    from .learners import read_roster
    from .limits import Limits

    hub = urlsplit(os.environ.get("JUPYTERHUB_SERVICE_URL", ""))
    host = args.host or hub.hostname or "127.0.0.1"
    port = args.port if args.port is not None else hub.port or 8000
    token = args.token or os.environ.get(TOKEN_VARIABLE) or None
    try:
        limits = Limits(header_timeout_s=args.header_timeout, body_timeout_s=args.body_timeout,
                        idle_timeout_s=args.idle_timeout,
                        **({"max_connections": args.max_connections} if args.max_connections else {}))
        roster = read_roster(args.roster) if args.roster else None
        server = ModelServer(host=host, port=port, speed=args.speed, seed=args.seed, failures=not args.no_failures,
                             token=token, roster=roster, requests_per_minute=args.requests_per_minute,
                             instructor_token=args.instructor_token or os.environ.get(INSTRUCTOR_VARIABLE) or None,
                             limits=limits, no_auth=args.no_auth,
                             prefix=os.environ.get("JUPYTERHUB_SERVICE_PREFIX", ""))
    except ValueError as error:
        print(f"orchestration-kit serve: {error}", file=sys.stderr)
        return 2
    if hub.hostname and not (token or roster or args.no_auth):  # loopback, but every hub user reaches it
        print("orchestration-kit serve: as a JupyterHub service, every user of the hub can reach this server "
              f"through its proxy; give it a --roster of learner tokens or ${TOKEN_VARIABLE}, or pass --no-auth",
              file=sys.stderr)
        return 2
    _access_log(args.access_log)

    async def serve() -> None:
        try:
            await server.start()
        except OSError as error:
            raise SystemExit(f"cannot listen on {host}:{port}: {error.strerror}; try another --port")
        guarded = (f"{len(roster)} learner tokens" if roster else "token required" if token
                   else "no token: anyone who can reach this address may use it")
        print(f"Serving {len(server.models)} simulated models at {server.base_url} (speed {args.speed:g}; {guarded}; "
              f"at most {limits.max_connections} connections). Ctrl-C stops.", flush=True)
        await asyncio.Event().wait()  # until interrupted

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        print("stopped")
    return 0


def _access_log(where: str) -> None:
    log = logging.getLogger("orchestration_kit.server.access")
    log.propagate = False
    if where == "off":
        log.disabled = True
        return
    handler = logging.StreamHandler(sys.stderr) if where == "-" else logging.FileHandler(where, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)


if __name__ == "__main__":
    _parser = argparse.ArgumentParser(prog="python -m orchestration_kit.serve.command", description=__doc__.splitlines()[0])
    add_arguments(_parser)
    sys.exit(main(_parser.parse_args()))
