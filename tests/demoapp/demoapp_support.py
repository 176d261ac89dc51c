"""What the tests/demoapp scripts share: polling with a deadline, kubectl, HTTP GET, and starting
demo/openfeature-app with the ports it chose read from its first log line."""
import re
import subprocess
import threading
import time
import urllib.error
import urllib.request

_PORTS = re.compile(r"serving metrics on http://127\.0\.0\.1:(\d+)/metrics, control on http://127\.0\.0\.1:(\d+)/")


def wait_for(cond, timeout, what, poll=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def kubectl(*args, stdin=None):
    r = subprocess.run(["kubectl", *args], input=stdin, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"kubectl {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout


def get(url, timeout=30):
    """(status, body); an HTTP error keeps its status, a connection failure is status 0."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:
        return 0, str(e)


def start_app(app, env, users, rate=200):
    """Starts the demo app on free ports; returns (process, ports, log lines), filled as it logs."""
    proc = subprocess.Popen(["node", app, "--users", str(users), "--rate", str(rate), "--metrics-address", "127.0.0.1:0",
                             "--control-address", "127.0.0.1:0"], env=env, stderr=subprocess.PIPE, text=True)
    ports, log_lines = {}, []

    def read_log():
        for line in proc.stderr:
            log_lines.append(line.rstrip())
            m = _PORTS.search(line)
            if m:
                ports["metrics"], ports["control"] = int(m.group(1)), int(m.group(2))
    threading.Thread(target=read_log, daemon=True).start()
    return proc, ports, log_lines
