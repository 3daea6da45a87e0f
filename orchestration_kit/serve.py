"""``orchestration-kit serve``: the simulated models behind an OpenAI-compatible API.

    $ orchestration-kit serve                      # http://127.0.0.1:8000/v1, real-time answers
    $ orchestration-kit serve --port 0 --speed 0   # any free port, instant answers (load tests)
    $ ORCHESTRATION_KIT_TOKEN=... orchestration-kit serve --host 0.0.0.0   # a classroom endpoint

Then point any OpenAI client at it, e.g. the kit's own backend::

    >>> model = OpenAICompatible("generalist-small", base_url="http://127.0.0.1:8000/v1", send_skills=True)

With a token (a shared secret for the class), clients send it as their API key. Prefer
the environment variable to ``--token``: a command line is visible to every user of the
machine (``ps``). The server never prints or logs the token, but plain HTTP carries it
in clear: beyond a network you trust, put a TLS proxy in front.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

TOKEN_VARIABLE = "ORCHESTRATION_KIT_TOKEN"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this machine only; "
                             "0.0.0.0 opens it to the network, e.g. for a classroom)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on; 0 picks a free one (default 8000)")
    parser.add_argument("--speed", type=float, default=1.0,
                        help="time scale of the simulated latencies: 1 real time, 0.1 ten times faster, 0 instant")
    parser.add_argument("--seed", type=int, default=0, help="seed of the simulated models (default 0)")
    parser.add_argument("--no-failures", action="store_true",
                        help="serve the models without their simulated errors and rate limits")
    parser.add_argument("--token", default=None,
                        help=f"a shared secret that clients must send as their API key (default: ${TOKEN_VARIABLE}, "
                             "else none); the variable is safer, as a command line is visible to other users")


def main(args: argparse.Namespace) -> int:
    from .models.server import ModelServer

    if args.speed < 0:
        print(f"--speed must be 0 or more, got {args.speed}", file=sys.stderr)
        return 2
    token = args.token or os.environ.get(TOKEN_VARIABLE) or None
    server = ModelServer(host=args.host, port=args.port, speed=args.speed, seed=args.seed,
                         failures=not args.no_failures, token=token)

    async def serve() -> None:
        try:
            await server.start()
        except OSError as error:
            raise SystemExit(f"cannot listen on {args.host}:{args.port}: {error.strerror}; try another --port")
        guarded = "token required" if token else "no token: anyone who can reach this address may use it"
        print(f"Serving {len(server.models)} simulated models at {server.base_url} (speed {args.speed:g}; {guarded}). "
              "Ctrl-C stops.", flush=True)
        await asyncio.Event().wait()  # until interrupted

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        print("stopped")
    return 0


if __name__ == "__main__":
    _parser = argparse.ArgumentParser(prog="python -m orchestration_kit.serve", description=__doc__.splitlines()[0])
    add_arguments(_parser)
    sys.exit(main(_parser.parse_args()))
