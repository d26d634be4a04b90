"""The server (gunicorn with its shipped configuration) and the OpenAPI document."""
from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command("openapi")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None)
def openapi(output: Path | None):
    """Print (or write) the OpenAPI document the code generates."""
    from influencers.openapi import render_openapi

    text = render_openapi()
    if output:
        output.write_text(text)
    else:
        click.echo(text, nl=False)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=None, type=click.IntRange(1), help="Processes (default: INFLUENCERS_WORKERS or 2)")
@click.option("--threads", default=None, type=click.IntRange(1),
              help="Threads per process (default: INFLUENCERS_THREADS or 8)")
@click.option("--start-timeout", default=180, show_default=True, type=float,
              help="Seconds to wait for the server to answer before giving up")
def serve(host: str, port: int, workers: int | None, threads: int | None, start_timeout: float):
    """Run the API under gunicorn with its configuration (influencers/serving/gunicorn_conf.py);
    prints the URLs once the server answers."""
    import signal
    import subprocess
    import time
    import urllib.request

    from influencers.serving import gunicorn_conf

    command = [sys.executable, "-m", "gunicorn", "--config", gunicorn_conf.__file__, "--bind", f"{host}:{port}",
               "--access-logfile", "-"]
    if workers:
        command += ["--workers", str(workers)]
    if threads:
        command += ["--threads", str(threads)]
    server = subprocess.Popen([*command, "influencers.app:create_app()"])
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda received, _frame: server.send_signal(received))
    probe_host = "127.0.0.1" if host in ("0.0.0.0", "") else ("[::1]" if host == "::" else host)
    deadline = time.monotonic() + start_timeout
    try:
        while server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://{probe_host}:{port}/health", timeout=1):
                    pass
            except OSError:
                if time.monotonic() > deadline:
                    server.terminate()
                    raise click.ClickException(f"the server did not answer on {host}:{port} within "
                                               f"{start_timeout:g} s") from None
                time.sleep(0.2)
                continue
            base = f"http://{probe_host}:{port}"
            click.echo(f"\nAPI:  {base}/v1\nDocs: {base}/docs\n"
                       f"curl -H 'Authorization: Bearer <key>' {base}/v1/creators\n", err=True)
            break
        code = server.wait()
    except KeyboardInterrupt:  # the terminal sent SIGINT to gunicorn too
        code = server.wait()
    if code:
        sys.exit(code)


