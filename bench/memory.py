"""Resident memory of the workbench serving one team: the Streamlit app and the Gradio endpoint.

    .venv/bin/python bench/memory.py

Both are started as their own processes on one data dir with the demo loaded, the way
`make run` and `python -m connectors.gradio_endpoint` start them; one chat answer is driven
through each (the app's Chat page in headless Chromium, the endpoint's /answer API), then the
resident memory of each process tree is read from /proc. Issue 19's goal: both together
<= 1.5 GB after one answer each. The baseline is a bare Python process that has imported
nothing of the workbench, measured the same way.
"""

from __future__ import annotations

import subprocess
import sys
import time

from _common import machine
from _servers import (ask_endpoint, ask_in_app_chat, browser_page, clean_env, demo_data_dir, endpoint_command,
                      free_port, rss_mb, running, streamlit_command, wait_for_http)

QUESTION = "What do the documents say about late deliveries to Chennai?"


def bare_python_mb() -> float:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    try:
        time.sleep(1)
        return rss_mb(process.pid)
    finally:
        process.kill()


def main() -> None:
    print(machine())
    data_dir = str(demo_data_dir())
    baseline = bare_python_mb()
    print(f"baseline, a bare Python process: {baseline:.0f} MB")
    app_port, endpoint_port = free_port(), free_port()
    app_url, endpoint_url = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{endpoint_port}"
    env = clean_env(AW_DATA_DIR=data_dir, AW_ENDPOINT_PORT=str(endpoint_port))
    with running(streamlit_command(app_port), env, "aw-bench-memory-app.log") as app, \
            running(endpoint_command(), env, "aw-bench-memory-endpoint.log") as endpoint:
        wait_for_http(f"{app_url}/_stcore/health", app)
        wait_for_http(f"{endpoint_url}/", endpoint)
        idle = rss_mb(app.pid), rss_mb(endpoint.pid)
        print(f"started, before any answer: app {idle[0]:.0f} MB, endpoint {idle[1]:.0f} MB")
        with browser_page() as page:
            seconds = ask_in_app_chat(page, app_url, QUESTION)
            print(f"app chat answer in {seconds:.1f} s")
            endpoint_seconds, _ = ask_endpoint(endpoint_url, QUESTION)
            print(f"endpoint answer in {endpoint_seconds:.1f} s")
            time.sleep(2)  # let both settle (background threads finish their first work)
            answered = rss_mb(app.pid), rss_mb(endpoint.pid)
    total = sum(answered)
    print(f"after one answer each: app {answered[0]:.0f} MB, endpoint {answered[1]:.0f} MB, "
          f"together {total:.0f} MB ({total / baseline:.0f}x a bare Python process) [goal <= 1536 MB]")


if __name__ == "__main__":
    main()
