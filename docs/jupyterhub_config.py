# An example jupyterhub_config.py for running the course on JupyterHub, with the kit's
# classroom server as a hub service. Copy the parts you need into your own config.
#
# Learners reach the server through the hub's proxy at <hub>/services/orchestration-kit/v1,
# each with their own token from the roster; their single-user servers get both
# as environment variables, so `OpenAI()` and the kit's `OpenAICompatible` need no setup.
import csv
import os
import sys

ROSTER = "/srv/course/learners.csv"  # learner,token (learner = the hub user name); the instructor keeps it
SERVICE = "orchestration-kit"

c = get_config()  # noqa: F821 (JupyterHub provides get_config)

# The server as a managed service: the hub starts it, restarts it, and gives it
# JUPYTERHUB_SERVICE_URL (where to listen) and JUPYTERHUB_SERVICE_PREFIX (the path it is served under).
c.JupyterHub.services = [{
    "name": SERVICE,
    "url": "http://127.0.0.1:10101",
    "command": [sys.executable, "-m", "orchestration_kit.cli", "serve", "--roster", ROSTER, "--speed", "1"],
    # The instructor's token for `orchestration-kit usage`; keep it out of this file in real use.
    "environment": {"ORCHESTRATION_KIT_INSTRUCTOR_TOKEN": os.environ.get("ORCHESTRATION_KIT_INSTRUCTOR_TOKEN", "")},
}]


def _tokens() -> dict[str, str]:
    with open(ROSTER, newline="", encoding="utf-8") as roster:
        return {row["learner"]: row["token"] for row in csv.DictReader(roster)}


def _learner_token(spawner) -> str:  # read when each learner's server starts: a roster edit needs no hub restart
    return _tokens().get(spawner.user.name, "")


# HUB_PUBLIC_URL: your hub's address as learners' servers reach it (set it where the hub starts).
c.Spawner.environment = {
    "OPENAI_BASE_URL": f"{os.environ.get('HUB_PUBLIC_URL', 'http://127.0.0.1:8000')}/services/{SERVICE}/v1",
    "OPENAI_API_KEY": _learner_token,  # JupyterHub calls it with the spawner: each learner gets their own
}
# The course itself: the notebooks in every learner's home, opened in JupyterLab.
c.Spawner.default_url = "/lab/tree/notebooks"
c.Spawner.mem_limit = "1G"  # a lesson's kernel needs ~250 MB; grading with nbclient needs another
