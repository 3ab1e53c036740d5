"""Sparkdeck's driver agent: a long-running Spark driver that answers requests.

`spark-submit` runs this file as the driver of one Spark application. It creates one
SparkSession, warms it up, and serves the engine over loopback HTTP (JSON), one request at
a time:

  GET  /health             {"state": "READY"|"BUSY", "appId", "sparkVersion", "pid", "leaseSeconds",
                            "progress": 0..1 (the running request's Spark tasks done) | null}
  POST /execute            {"requestId", "kind": "job"|"code"|"complete", "language": "PYTHON"|"SCALA"|"SQL", ...}
                           -> {"result": str|null} (job) | {"result": str|null, "data": {mime: value}|null} (code)
                              | {"completions": [...]} | {"error": {"message", "stackTrace"}}
  POST /cancel             {"requestId"}
  POST /shutdown

Every request must carry `Authorization: Bearer <SPARKDECK_DRIVER_SECRET>`. Once ready,
the agent writes {"port", "pid", "appId", "sparkVersion"} to SPARKDECK_DRIVER_INFO
(atomically) and prints one `SPARKDECK_DRIVER_READY {...}` line; its "interpreters" give the
warm-up time of each interpreter warmed before READY.

Code cells run in one of three interpreters on the one SparkSession (sparkdeck_agent/):
Python (the default), Scala (Spark's own REPL in the driver's JVM) and SQL; a code answer's
`data` is a MIME bundle: "text/plain", "application/json" (a table: Livy's
{"schema", "data", "truncated"}, or %json's value), "application/vnd.livy.table.v1+json"
(%table), "image/png" (%matplot).

Environment: SPARKDECK_DRIVER_SECRET (required), SPARKDECK_DRIVER_INFO (optional path),
SPARKDECK_DRIVER_PORT (default 0: any free port), SPARKDECK_DRIVER_HOST (default 127.0.0.1),
SPARKDECK_DRIVER_LEASE_SECONDS (default 600), SPARKDECK_DRIVER_INTERPRETERS (comma list of
PYTHON, SCALA, SQL: those warmed up before READY; Scala, which costs seconds and memory, starts
on its first request otherwise).

The agent does not outlive its owner: when no authorised request has reached it for the
lease time (and none is running), it shuts down; when the JVM that spark-submit started it
from dies, it exits at once (nothing else would end it).
"""

import contextlib
import ctypes
import hmac
import importlib
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

AGENT_DIR = os.path.dirname(os.path.abspath(__file__))
# The zip a remote driver gets this directory's packages in (spark.submit.pyFiles).
AGENT_ZIP = "ilum.zip"


def agent_last(path):
    """`path` with the agent's own directory (and zip) moved to the end. Job code imports
    `ilum.api`: the real ilum-job-api package when the job's environment installs it, the
    copy beside this file otherwise (Python puts a script's directory first)."""
    ours = [p for p in path if os.path.abspath(p or os.curdir) == AGENT_DIR or os.path.basename(p) == AGENT_ZIP]
    return [p for p in path if p not in ours] + (ours or [AGENT_DIR])


sys.path[:] = agent_last(sys.path)

from pyspark.sql import SparkSession  # noqa: E402

from sparkdeck_agent.python_cells import PythonCells  # noqa: E402
from sparkdeck_agent.scala_cells import ScalaCells, ScalaError  # noqa: E402
from sparkdeck_agent.sql_cells import SqlCells  # noqa: E402

LANGUAGES = ("PYTHON", "SCALA", "SQL")


class RequestCancelled(Exception):
    """Raised inside a request's thread when the engine cancels it."""


# How long a cancelled request may take to end through Spark before it is interrupted.
CANCEL_GRACE_S = 3.0
# How often a cancelled request's job group is cancelled again while the request runs.
CANCEL_EVERY_S = 0.2

# How long the agent lives without hearing from an engine, unless the engine says.
DEFAULT_LEASE_S = 600.0


class Lease:
    """The engine's hold on this driver. Every authorised request renews it, and while one
    runs the engine is waiting for its answer, so the lease cannot run out under it."""

    def __init__(self, seconds, clock=time.monotonic):
        self.seconds = seconds
        self.clock = clock
        self.lock = threading.Lock()
        self.renewed = clock()
        self.running = 0

    @contextlib.contextmanager
    def held(self):
        with self.lock:
            self.running += 1
            self.renewed = self.clock()
        try:
            yield
        finally:
            with self.lock:
                self.running -= 1
                self.renewed = self.clock()

    def expired(self):
        with self.lock:
            return self.running == 0 and self.clock() - self.renewed > self.seconds


def lease_seconds(environ):
    """The lease from SPARKDECK_DRIVER_LEASE_SECONDS; a ValueError names a bad value."""
    text = environ.get("SPARKDECK_DRIVER_LEASE_SECONDS", "").strip()
    if not text:
        return DEFAULT_LEASE_S
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not seconds > 0 or seconds == float("inf"):
        raise ValueError(f"SPARKDECK_DRIVER_LEASE_SECONDS must be a positive number of seconds, not {text!r}")
    return seconds


def interpreters(environ):
    """The interpreters SPARKDECK_DRIVER_INTERPRETERS lists; a ValueError names a bad entry."""
    names = [n.strip().upper() for n in environ.get("SPARKDECK_DRIVER_INTERPRETERS", "").split(",") if n.strip()]
    for name in names:
        if name not in LANGUAGES:
            raise ValueError(f"SPARKDECK_DRIVER_INTERPRETERS: {name!r} is not one of {', '.join(LANGUAGES)}")
    return list(dict.fromkeys(names))


def watch_owner(lease, jvm_pid, stop):
    """Ends the agent when its JVM is gone (exit now: the session cannot be stopped
    without it) or its lease ran out (a clean shutdown). `jvm_pid` is None when the JVM
    is not this process's parent (run outside spark-submit): then only the lease counts."""
    every = min(1.0, lease.seconds / 4)
    while not stop.wait(every):
        if jvm_pid is not None and os.getppid() != jvm_pid:
            # The JVM relayed this process's output, so there is no one left to tell.
            os._exit(1)
        if lease.expired():
            print(f"sparkdeck: no engine contacted this driver for {lease.seconds:g} s (its lease); shutting down",
                  file=sys.stderr, flush=True)
            stop.set()


class Driver:
    """One SparkSession and the state kept between requests."""

    def __init__(self, spark, class_dir):
        self.spark = spark
        self.sc = spark.sparkContext
        self.namespace = {"spark": spark, "sc": self.sc, "__name__": "__sparkdeck__"}
        # Counts each request's tasks from the listener bus, for /health's progress.
        self.tasks = self.sc._jvm.dev.sparkdeck.driver.RequestProgress()
        self.sc._jsc.sc().addSparkListener(self.tasks)
        self.cells = {
            "PYTHON": PythonCells(self.namespace),
            "SCALA": ScalaCells(spark, class_dir, lambda error: JVM_RUNNER.stackTrace(error)),
            "SQL": SqlCells(spark),
        }
        self.lock = threading.Lock()
        self.current = None  # (request id, thread id) of the running request
        self.cancelled = None  # the request id a cancel was asked for

    # -- requests ---------------------------------------------------------------------

    def execute(self, request):
        kind = request.get("kind")
        language = request.get("language") or "PYTHON"
        if kind in ("code", "complete") and language not in LANGUAGES:
            return error_body(f"unknown language {language!r}: one of {', '.join(LANGUAGES)}", "")
        if kind == "complete":
            # Completion reads the interpreter's state only; it may run beside a request.
            code = request.get("code") or ""
            cursor = request.get("cursor")
            cursor = len(code) if cursor is None else max(0, min(int(cursor), len(code)))
            try:
                return {"completions": self.cells[language].complete(code, cursor)}
            except Exception as exc:  # noqa: BLE001  (a completion failure is the answer)
                return error_of(exc)
        if not self.lock.acquire(blocking=False):
            return {"busy": True}
        request_id = str(request.get("requestId") or "")
        try:
            self.current = (request_id, threading.get_ident())
            self.sc.setJobGroup(request_id, f"sparkdeck request {request_id}", interruptOnCancel=True)
            if kind == "job":
                return {"result": self.run_job(request)}
            if kind == "code":
                return self.cells[language].run(request.get("code") or "")
            return error_body(f"unknown request kind {kind!r}", "")
        except BaseException as exc:  # the job's own failure is the request's answer
            if self.cancelled == request_id:
                return error_body("the request was cancelled", error_of(exc)["error"]["stackTrace"])
            return error_of(exc)
        finally:
            self.current = None
            with contextlib.suppress(Exception):
                self.sc.setLocalProperty("spark.jobGroup.id", None)
            with contextlib.suppress(Exception):
                self.tasks.forget(request_id)
            self.lock.release()

    def run_job(self, request):
        name = (request.get("jobClass") or "").strip()
        if not name:
            raise ValueError("jobClass is empty")
        config = request.get("config") or {}
        if request.get("language") == "SCALA":
            return self.run_jvm_job(name, config)
        module_name, _, class_name = name.rpartition(".")
        if not module_name:
            raise ValueError(f"jobClass {name!r} is not a dotted name such as module.ClassName")
        module = importlib.import_module(module_name)
        cls = getattr(module, class_name, None)
        if cls is None:
            raise ImportError(f"module {module_name!r} has no class {class_name!r}")
        result = cls().run(self.spark, config)
        return None if result is None else str(result)

    def run_jvm_job(self, name, config):
        jvm = self.sc._jvm
        runner = JVM_RUNNER
        loader = self.spark._jsparkSession.sharedState().jarClassLoader()
        job = runner.instantiate(name, loader)
        java_config = jvm.java.util.HashMap()
        for key, value in config.items():
            java_config.put(str(key), value if isinstance(value, (str, int, float, bool)) else json.dumps(value))
        return runner.run(job, self.spark._jsparkSession, java_config)

    def cancel(self, request_id):
        current = self.current
        if not current or current[0] != request_id:
            return False
        self.cancelled = request_id
        threading.Thread(target=self.keep_cancelling, args=current, name="sparkdeck-cancel", daemon=True).start()
        return True

    def keep_cancelling(self, request_id, thread_id):
        """Cancels the request's job group until the request ends: a job it starts after the
        cancel is cancelled too (Spark's own "future jobs" check misses the stages adaptive
        execution submits). Pure Python or Scala code does not see Spark's cancellation: if
        the request is still running after the grace period, raise in its thread and
        interrupt the JVM thread of a Scala statement. (Not at once: raising inside a py4j
        call that Spark is already cancelling breaks that call's answer.)"""
        began = time.monotonic()
        interrupted = False
        while self.current == (request_id, thread_id):
            with contextlib.suppress(Exception):
                self.sc.cancelJobGroup(request_id)
            if not interrupted and time.monotonic() - began > CANCEL_GRACE_S:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), ctypes.py_object(RequestCancelled))
                with contextlib.suppress(Exception):
                    self.cells["SCALA"].interrupt()
                interrupted = True
            time.sleep(CANCEL_EVERY_S)

    def progress(self):
        """The running request's share of finished tasks over its job group's jobs (0 before
        any job started), or None when no request runs."""
        current = self.current
        return None if not current else self.tasks.progress(current[0])

    def health(self):
        progress = None
        with contextlib.suppress(Exception):  # the request may end while it is read
            progress = self.progress()
        return {
            "state": "BUSY" if self.lock.locked() else "READY",
            "appId": self.sc.applicationId,
            "sparkVersion": self.spark.version,
            "pid": os.getpid(),
            "progress": progress,
        }


def error_body(message, stack):
    return {"error": {"message": message, "stackTrace": stack}}


def error_of(exc):
    """Java exceptions keep their Java message and stack trace; Python ones their traceback;
    Scala cells the compiler's error or what the cell threw."""
    if isinstance(exc, ScalaError):
        return error_body(exc.message, exc.stack)
    # py4j errors carry `java_exception`; PySpark's converted ones (IllegalArgumentException,
    # AnalysisException, ...) keep the original in `_origin`.
    java = getattr(exc, "java_exception", None) or getattr(exc, "_origin", None)
    if java is not None and JVM_RUNNER is not None:
        with contextlib.suppress(Exception):
            cause = java
            # Reflection wraps the job's own exception; show the job's.
            while cause.getClass().getName() == "java.lang.reflect.InvocationTargetException" and cause.getCause():
                cause = cause.getCause()
            return error_body(cause.toString(), JVM_RUNNER.stackTrace(cause))
    message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return error_body(message, traceback.format_exc())


# dev.sparkdeck.driver.JobRunner in the driver's JVM, once the session is up.
JVM_RUNNER = None


def make_handler(driver, secret, stop, lease):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body are two writes: without TCP_NODELAY the second waits for the
        # client's delayed ACK (~40 ms per request).
        disable_nagle_algorithm = True

        def log_message(self, fmt, *args):  # requests are the engine's business, not the log's
            pass

        def reply(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def authorised(self):
            presented = self.headers.get("Authorization", "")
            if hmac.compare_digest(presented.encode(), f"Bearer {secret}".encode()):
                return True
            self.reply(401, {"message": "wrong driver secret"})
            return False

        def body(self):
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length) or b"{}")

        def do_GET(self):
            if not self.authorised():
                return
            with lease.held():
                self.get()

        def do_POST(self):
            if not self.authorised():
                return
            with lease.held():
                self.post()

        def get(self):
            if self.path == "/health":
                self.reply(200, dict(driver.health(), leaseSeconds=lease.seconds))
            else:
                self.reply(404, {"message": "no such endpoint"})

        def post(self):
            try:
                request = self.body()
            except ValueError as exc:
                self.reply(400, {"message": f"body is not JSON: {exc}"})
                return
            if self.path == "/execute":
                answer = driver.execute(request)
                self.reply(409 if answer.get("busy") else 200, answer if not answer.get("busy") else {"message": "busy"})
            elif self.path == "/cancel":
                self.reply(200, {"cancelled": driver.cancel(str(request.get("requestId") or ""))})
            elif self.path == "/shutdown":
                self.reply(200, {"stopping": True})
                stop.set()
            else:
                self.reply(404, {"message": "no such endpoint"})

    return Handler


# One warm-up round: the query shapes requests start with, run as a request (its own job
# group, on a thread of its own, as the HTTP handler threads run them).
WARM_UP_CELL = """
spark.range(1000).count()
spark.range(1000).selectExpr("id % 7 as k").groupBy("k").count().collect()
spark.range(1000).where("id % 2 = 0").count()
spark.range(10).collect()
spark.sql("SELECT 1").collect()
"""
# Rounds run until one is no faster than the best before it for this many rounds in a row
# (the JVM has compiled the paths they take), at least MIN and at most MAX of them.
WARM_UP_SETTLED_ROUNDS = 3
WARM_UP_MIN_ROUNDS = 5
WARM_UP_MAX_ROUNDS = 40
WARM_UP_MAX_S = 20.0


def warm_up(driver):
    """The first queries of a session pay for code generation, class loading and the JVM's
    compilation of Spark's planning paths; pay it now so the first user requests are as fast
    as the hundredth. Returns the rounds run."""
    rounds, best, settled = 0, float("inf"), 0
    began = time.monotonic()
    while rounds < WARM_UP_MAX_ROUNDS and time.monotonic() - began < WARM_UP_MAX_S:
        answer = {}
        round_began = time.monotonic()
        worker = threading.Thread(target=lambda: answer.update(
            driver.execute({"requestId": f"sparkdeck-warm-up-{rounds}", "kind": "code", "code": WARM_UP_CELL})))
        worker.start()
        worker.join()
        took = time.monotonic() - round_began
        rounds += 1
        if "error" in answer:
            print(f"sparkdeck: warm-up failed: {answer['error']['message']}", file=sys.stderr, flush=True)
            break
        settled = settled + 1 if took >= best * 0.95 else 0
        best = min(best, took)
        if rounds >= WARM_UP_MIN_ROUNDS and settled >= WARM_UP_SETTLED_ROUNDS:
            break
    return rounds


def write_info(path, info):
    if not path:
        return
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(info, f)
    os.replace(tmp, path)


def repl_class_dir(environ):
    """A new directory for the Scala interpreter's classes: beside the info file (in the job
    directory the engine owns) when there is one."""
    info = environ.get("SPARKDECK_DRIVER_INFO")
    parent = os.path.dirname(os.path.abspath(info)) if info else None
    return tempfile.mkdtemp(prefix="repl-classes-", dir=parent)


def main():
    secret = os.environ.get("SPARKDECK_DRIVER_SECRET")
    if not secret:
        print("SPARKDECK_DRIVER_SECRET is not set", file=sys.stderr)
        return 2
    try:
        lease_s = lease_seconds(os.environ)
        warm = interpreters(os.environ)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    class_dir = repl_class_dir(os.environ)
    try:
        return serve(secret, lease_s, warm, class_dir)
    finally:
        shutil.rmtree(class_dir, ignore_errors=True)


def serve(secret, lease_s, warm, class_dir):
    # The SparkContext serves the Scala interpreter's classes to executors only when it
    # knows their directory at start, so it always does (an empty directory costs nothing).
    spark = SparkSession.builder.config("spark.repl.class.outputDir", class_dir).getOrCreate()
    # spark-submit's JVM starts this process; when it dies, the agent is reparented.
    jvm_pid = spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
    jvm_pid = jvm_pid if jvm_pid == os.getppid() else None
    global JVM_RUNNER
    JVM_RUNNER = spark.sparkContext._jvm.dev.sparkdeck.driver.JobRunner
    driver = Driver(spark, class_dir)
    started = time.monotonic()
    warm_up(driver)
    warmed = {}
    if "SCALA" in warm:
        warmed["SCALA"] = {"warmupMs": driver.cells["SCALA"].warm_up()}
    stop = threading.Event()
    lease = Lease(lease_s)  # it starts when the engine can reach the agent
    host = os.environ.get("SPARKDECK_DRIVER_HOST", "127.0.0.1")
    server = ThreadingHTTPServer((host, int(os.environ.get("SPARKDECK_DRIVER_PORT", "0"))), make_handler(driver, secret, stop, lease))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="sparkdeck-http", daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    info = {"port": server.server_address[1], "pid": os.getpid(), "appId": spark.sparkContext.applicationId,
            "sparkVersion": spark.version, "warmupMs": int((time.monotonic() - started) * 1000), "interpreters": warmed}
    write_info(os.environ.get("SPARKDECK_DRIVER_INFO"), info)
    print("SPARKDECK_DRIVER_READY " + json.dumps(info), flush=True)
    threading.Thread(target=watch_owner, args=(lease, jvm_pid, stop), name="sparkdeck-owner", daemon=True).start()
    stop.wait()
    server.shutdown()
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
