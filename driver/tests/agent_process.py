"""Starting the driver agent the way the engine does: `spark-submit` runs it in local mode,
in a session of its own, logging to a file. Shared by the agent's tests."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

DRIVER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPARK_HOME = os.environ.get("SPARK_HOME") or os.path.join(
    os.path.dirname(os.path.abspath(__import__("pyspark").__file__)))
SECRET = "test-secret"


def build_agent_jar():
    subprocess.run([os.path.join(DRIVER_DIR, "build-jar.sh"), SPARK_HOME], check=True)


class AgentProcess:
    """One agent under spark-submit. `proc` is spark-submit, which execs into the JVM."""

    def __init__(self, work, name, env=None, jars=(), py_files=()):
        self.info_path = os.path.join(work, f"{name}-info.json")
        self.log_path = os.path.join(work, f"{name}.log")
        full_env = dict(os.environ, SPARKDECK_DRIVER_SECRET=SECRET, SPARKDECK_DRIVER_INFO=self.info_path,
                        PYSPARK_PYTHON=sys.executable, **(env or {}))
        self.log = open(self.log_path, "w")
        argv = [os.path.join(SPARK_HOME, "bin", "spark-submit"), "--master", "local[2]", "--conf", "spark.ui.enabled=false",
                "--jars", ",".join([f"{DRIVER_DIR}/build/sparkdeck-driver.jar", *jars])]
        if py_files:
            argv += ["--py-files", ",".join(py_files)]
        argv.append(os.path.join(DRIVER_DIR, "sparkdeck_driver.py"))
        self.proc = subprocess.Popen(argv, env=full_env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.info = None

    def wait_ready(self, timeout=180):
        """The agent's info file; raises (after stopping it) if it never comes."""
        deadline = time.monotonic() + timeout
        while not os.path.exists(self.info_path):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError("driver did not become ready; see " + self.log_path)
            time.sleep(0.2)
        with open(self.info_path) as f:
            self.info = json.load(f)
        return self.info

    @property
    def base(self):
        return f"http://127.0.0.1:{self.info['port']}"

    def call(self, path, body=None, secret=SECRET, timeout=60):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, headers={"Authorization": f"Bearer {secret}"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)

    def output(self):
        with open(self.log_path) as f:
            return f.read()

    def kill(self):
        """Kills the whole session (JVM, agent, Python workers) and reaps spark-submit."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.log.close()


def process_gone(pid):
    """True once `pid` has exited (gone, or a zombie nobody reaped yet)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def parent_of(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def wait_until(condition, timeout):
    """Polls `condition` until it holds or `timeout` seconds pass; its last value."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return condition()
        time.sleep(0.2)
    return True
