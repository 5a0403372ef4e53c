"""Every snippet of README.md and docs/ runs against a live server with the client it is
written for (curl, stomp.py, httpx-sse, @stomp/stompjs under Node, EventSource in
Chromium, the notebook client, %%ask) and shows what the text around it says.

The blocks are found by their markers (see tests/snippets.py); a block with none fails
``test_every_block_is_run_or_says_why``.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from typing import Any

import httpx
import pytest

from tests.servers import ServerProcess
from tests.snippets import ROOT, at_port, every_block, snippet

JS = ROOT / "tests" / "js"
# Snippets run here; those run by another module name it, and it must use them.
RUN_HERE = {
    "curl-execute",
    "curl-follow",
    "curl-ask",
    "stompjs",
    "stompjs-sockjs",
    "stompjs-compat",
    "eventsource",
    "stomp-py",
    "httpx-sse",
    "notebook-client",
    "ask-magic",
    "notebook-chart",
    "job",
}
RUN_ELSEWHERE = {
    "run-service": "tests/test_first_start.py",
    "restart-service": "tests/test_first_start.py",
    "notebook-service": "tests/test_first_start.py",
    "notebook-lab": "tests/test_first_start.py",
    "reader-role": "tests/security/test_sql_corpus.py",
    "hr-prompt": "tests/services/nl_to_sql/test_corpora.py",
}
LIFECYCLE = ["received", "validating", "planning", "executing", "fetching", "completed"]

needs_curl = pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
needs_node = pytest.mark.skipif(
    shutil.which("node") is None or not (JS / "node_modules" / "@stomp" / "stompjs").exists(),
    reason="needs Node.js and the npm packages of tests/js",
)


def test_every_block_is_run_or_says_why() -> None:
    found = every_block()
    unmarked = [block.where for block in found if not block.kind]
    assert unmarked == [], "fenced blocks without a snippet / output of / not run marker"
    names = [block.name for block in found if block.kind == "snippet"]
    assert len(names) == len(set(names)), names
    checked = {block.name for block in found if block.kind in ("snippet", "output of")}
    assert checked == RUN_HERE | set(RUN_ELSEWHERE)
    for name, module in RUN_ELSEWHERE.items():
        assert re.search(rf"[\"']{name}[\"']", (ROOT / module).read_text()), (name, module)


def shell(name: str, server: ServerProcess) -> str:
    text = at_port(snippet(name).text, server.port)
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", text],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def python(name: str, server: ServerProcess) -> str:
    return run_python(at_port(snippet(name).text, server.port), server)


def run_python(text: str, server: ServerProcess) -> str:
    env = {**os.environ, "QUART_APP_URL": server.url}
    done = subprocess.run(
        [sys.executable, "-c", text],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def node(name: str, server: ServerProcess, *, prelude: str = "") -> str:
    # A module file inside tests/js, so that its imports resolve to tests/js/node_modules.
    script = JS / f".snippet-{name}-{uuid.uuid4().hex[:8]}.mjs"
    script.write_text(prelude + at_port(snippet(name).text, server.port))
    try:
        done = subprocess.run(
            ["node", script.name], capture_output=True, text=True, timeout=60, check=False, cwd=JS
        )
    finally:
        script.unlink()
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def first_words(output: str) -> list[str]:
    return [line.split()[0] for line in output.splitlines() if line.strip()]


def stages_in_order(stages: list[str], expected: list[str] = LIFECYCLE) -> None:
    """``stages`` run through ``expected`` in order, ``fetching`` once or more, nothing else."""
    collapsed = [stage for i, stage in enumerate(stages) if i == 0 or stages[i - 1] != stage]
    assert collapsed == expected, stages


def keys_of(sample: str) -> set[str]:
    """The keys of a JSON sample whose values may be elided with … (so not valid JSON)."""
    return set(re.findall(r'"(\w+)":', sample))


@needs_curl
def test_curl_execute_prints_the_five_countries_with_most_customers(
    server: ServerProcess,
) -> None:
    answer = json.loads(shell("curl-execute", server))
    assert [column["name"] for column in answer["columns"]] == ["country", "count"]
    counts = [row[1] for row in answer["rows"]]
    assert len(counts) == 5 and counts == sorted(counts, reverse=True)
    assert answer["rows"][0][0] == "United States"
    # docs/reference.md shows this answer's shape
    assert keys_of(snippet("curl-execute", "output of").text) - {"name", "type"} == set(answer)


@needs_curl
def test_curl_follows_a_request_from_its_first_event_to_its_last(server: ServerProcess) -> None:
    output = shell("curl-follow", server)
    events = [json.loads(line[5:]) for line in output.splitlines() if line.startswith("data:")]
    stages_in_order([event["stage"] for event in events])
    assert all(
        line.startswith(("id:", "event: status", "data:", "retry:", ": ", ""))
        for line in output.splitlines()
    )
    last = events[-1]
    assert last["status"] == "success" and last["metadata"]["rowCount"] == 200_000
    # README's abridged sample of these events: the same stages, keys and outcome
    sample = snippet("curl-follow", "output of").text
    shown = re.findall(r'"stage":"([\w-]+)"', sample)
    stages_in_order(shown)
    for stage in shown:
        event = next(event for event in events if event["stage"] == stage)
        line = next(line for line in sample.splitlines() if f'"stage":"{stage}"' in line)
        assert set(re.findall(r'"(\w+)":', line)) - {"metadata"} <= set(event) | set(
            event.get("metadata") or {}
        ), (stage, line)
    assert '"truncated":true' in sample and last["metadata"]["truncated"] is True
    (estimate,) = re.findall(r'"estimatedRows":(\d+)', sample)
    planned = next(event for event in events if event["stage"] == "planning")
    assert abs(int(estimate) / planned["metadata"]["estimatedRows"] - 1) < 0.1
    assert '"rowCount":200000' in sample


@needs_curl
def test_curl_asks_a_question_and_gets_the_rows(server: ServerProcess) -> None:
    answer = json.loads(shell("curl-ask", server))
    assert answer["engine"] == "offline"
    assert answer["sql"].upper().startswith(("SELECT", "WITH"))
    assert len(answer["result"]["rows"]) == 5
    with httpx.Client(base_url=server.url) as client:
        job = client.get(f"/api/jobs/{answer['requestId']}").json()
    # docs/reference.md shows a job object of a question
    assert keys_of(snippet("job", "output of").text) == set(job)
    assert job["status"] == "success" and job["question"] == "top 5 customers by total spend"


@pytest.mark.parametrize(
    ("name", "prelude"),
    [
        # written for a browser, which has WebSocket; Node 20 gets it from the ws package
        ("stompjs", 'import { WebSocket } from "ws";\nglobalThis.WebSocket = WebSocket;\n'),
        ("stompjs-sockjs", ""),
    ],
)
@needs_node
def test_stompjs_prints_each_stage_and_ends(name: str, prelude: str, server: ServerProcess) -> None:
    output = node(name, server, prelude=prelude)
    stages_in_order(first_words(output))
    assert output.splitlines()[-1].startswith("completed 100 ")


@needs_node
def test_the_stomp_js_compatibility_style_prints_each_stage(server: ServerProcess) -> None:
    stages_in_order(first_words(node("stompjs-compat", server)))


@pytest.mark.browser
@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium package")
async def test_eventsource_in_a_page_of_the_service_logs_each_stage(
    chromium: Any, server: ServerProcess
) -> None:
    context = await chromium.new_context()
    try:
        page = await context.new_page()
        logged: list[str] = []
        completed = asyncio.Event()

        def log(message: Any) -> None:
            if message.type != "log":  # not the browser's own notes (a missing favicon)
                return
            logged.append(message.text)
            if message.text.startswith("completed"):
                completed.set()

        page.on("console", log)
        await page.goto(f"{server.url}/health")  # any page of the service's origin
        await page.add_script_tag(content=snippet("eventsource").text)
        await asyncio.wait_for(completed.wait(), 30)
        stages_in_order(first_words("\n".join(logged)))
    finally:
        await context.close()


def test_stomp_py_prints_each_stage_then_disconnects(server: ServerProcess) -> None:
    output = python("stomp-py", server)
    stages_in_order(first_words(output))


def test_httpx_sse_prints_each_stage_then_the_rows(server: ServerProcess) -> None:
    lines = python("httpx-sse", server).splitlines()
    stages_in_order(lines[:-1])
    assert lines[-1] == "[[200000]]"


def test_the_notebook_client_snippet_runs_outside_a_kernel(server: ServerProcess) -> None:
    assert python("notebook-client", server).splitlines() == ["cancelled: cancelled by request"]


def test_the_chart_snippet_draws_the_months_and_altair_takes_the_spec(
    server: ServerProcess,
) -> None:
    output = run_python(
        "from widget import Client\nclient = Client()\n"
        + snippet("notebook-chart").text
        + "\nimport altair\n"
        "drawn = altair.Chart.from_dict(chart(df).spec).to_dict()\n"  # validates it
        "[rows] = drawn['datasets'].values()\n"
        'print(df.attrs["chart"]["mark"]["type"], chart(df, "bar").kind, len(rows), '
        'df.attrs["chart"]["data"])\n',
        server,
    )
    assert output.splitlines()[-1] == "line bar 12 {'name': 'result'}"


def test_the_ask_magic_fills_in_a_variable_and_stores_the_result(server: ServerProcess) -> None:
    cell = snippet("ask-magic").text
    output = run_python(
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\n"
        "shell.run_cell('%load_ext widget').raise_error()\n"
        "shell.user_ns['country'] = 'Germany'\n"
        f"shell.run_cell({cell!r}).raise_error()\n"
        "germans = shell.user_ns['germans']\n"
        "print(len(germans), sorted(set(germans['country'])))\n",
        server,
    )
    assert output.splitlines()[-1] == "10 ['Germany']"
