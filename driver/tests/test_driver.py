"""The driver agent on real Spark: one driver started with spark-submit serves Python and
JVM job classes, code cells, completion, cancel and errors over its loopback protocol.

Run: .venv/bin/python -m unittest discover -s driver/tests -v   (needs Java 17 and javac)
"""

import os
import shutil
import subprocess
import tempfile
import textwrap
import threading
import time
import unittest

from agent_process import SPARK_HOME, AgentProcess, build_agent_jar

PYTHON_JOB = '''
from ilum.api import IlumJob

class CountJob(IlumJob):
    def run(self, spark, config):
        return str(spark.range(int(config["n"])).count())

class NoneJob(IlumJob):
    def run(self, spark, config):
        return None

class FailingJob(IlumJob):
    def run(self, spark, config):
        raise ValueError("bad input: " + config.get("why", "?"))

class SlowJob(IlumJob):
    def run(self, spark, config):
        spark.range(10**13).where("id % 3 = 7").count()

class WhichIlum(IlumJob):
    def run(self, spark, config):
        import ilum.api
        return ilum.api.__file__
'''

JVM_STUB = '''
package cloud.ilum.job;
public interface Job {
    scala.Option<String> run(org.apache.spark.sql.SparkSession s, scala.collection.immutable.Map<String, Object> c);
}
'''

JVM_JOB = '''
package example;
public class CountJob implements cloud.ilum.job.Job {
    public scala.Option<String> run(org.apache.spark.sql.SparkSession s, scala.collection.immutable.Map<String, Object> c) {
        long n = Long.parseLong(String.valueOf(c.apply("n")));
        if (n < 0) throw new IllegalArgumentException("n must not be negative");
        return scala.Option.apply("jvm:" + s.range(n).count());
    }
}
'''


# What the real `ilum-job-api` package would install (never downloaded in tests).
FAKE_ILUM_API = '''
from abc import ABC, abstractmethod

class IlumJob(ABC):
    @abstractmethod
    def run(self, spark, config):
        pass
'''


def install_fake_ilum(work):
    """A site directory holding an `ilum` package as pip would install it; the directory."""
    site = os.path.join(work, "site-packages")
    os.makedirs(os.path.join(site, "ilum"))
    for name, text in (("__init__.py", ""), ("api.py", FAKE_ILUM_API)):
        with open(os.path.join(site, "ilum", name), "w") as f:
            f.write(text)
    return site


def compile_user_jar(work):
    """A job jar compiled against a stub of the contract that is NOT put in the jar."""
    src = os.path.join(work, "src")
    for rel, text in (("cloud/ilum/job/Job.java", JVM_STUB), ("example/CountJob.java", JVM_JOB)):
        os.makedirs(os.path.join(src, os.path.dirname(rel)), exist_ok=True)
        with open(os.path.join(src, rel), "w") as f:
            f.write(text)
    classes = os.path.join(work, "classes")
    subprocess.run(["javac", "--release", "17", "-nowarn", "-cp", os.path.join(SPARK_HOME, "jars", "*"), "-d", classes,
                    os.path.join(src, "cloud/ilum/job/Job.java"), os.path.join(src, "example/CountJob.java")], check=True)
    jar = os.path.join(work, "user-job.jar")
    subprocess.run(["jar", "--create", "--file", jar, "-C", classes, "example"], check=True)
    return jar


class DriverTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="sparkdeck-driver-test-")
        build_agent_jar()
        user_jar = compile_user_jar(cls.work)
        jobs = os.path.join(cls.work, "user_jobs.py")
        with open(jobs, "w") as f:
            f.write(textwrap.dedent(PYTHON_JOB))
        cls.site = install_fake_ilum(cls.work)
        # SPARKDECK_DRIVER_INTERPRETERS does not list SCALA: its interpreter starts on first use.
        cls.agent = AgentProcess(cls.work, "driver", env={"PYTHONPATH": cls.site, "SPARKDECK_DRIVER_INTERPRETERS": "PYTHON"},
                                 jars=[user_jar], py_files=[jobs])
        try:
            cls.info = cls.agent.wait_ready()
        except RuntimeError:
            shutil.rmtree(cls.work, ignore_errors=True)
            raise
        cls.proc = cls.agent.proc

    @classmethod
    def tearDownClass(cls):
        cls.agent.kill()
        shutil.rmtree(cls.work, ignore_errors=True)

    def call(self, path, body=None, secret=None):
        return self.agent.call(path, body, **({"secret": secret} if secret else {}))

    def execute(self, **request):
        request.setdefault("requestId", f"r-{time.monotonic_ns()}")
        status, body = self.call("/execute", request)
        self.assertEqual(status, 200, body)
        return body

    def test_ready_info_and_health(self):
        self.assertTrue(self.info["appId"].startswith("local-"))
        # spark-submit's JVM starts the Python driver in its process group.
        self.assertEqual(os.getpgid(self.info["pid"]), self.proc.pid)
        status, health = self.call("/health")
        self.assertEqual((status, health["appId"]), (200, self.info["appId"]))
        self.assertIn(health["state"], ("READY", "BUSY"))

    def test_wrong_secret_is_refused(self):
        status, body = self.call("/health", secret="nope")
        self.assertEqual(status, 401, body)
        status, _ = self.call("/execute", {"kind": "code", "code": "1"}, secret="nope")
        self.assertEqual(status, 401)

    def test_python_job_classes(self):
        self.assertEqual(self.execute(kind="job", language="PYTHON", jobClass="user_jobs.CountJob", config={"n": 42}),
                         {"result": "42"})
        self.assertEqual(self.execute(kind="job", language="PYTHON", jobClass="user_jobs.NoneJob"), {"result": None})
        failed = self.execute(kind="job", language="PYTHON", jobClass="user_jobs.FailingJob", config={"why": "x"})
        self.assertEqual(failed["error"]["message"], "ValueError: bad input: x")
        self.assertIn("user_jobs.py", failed["error"]["stackTrace"])
        missing = self.execute(kind="job", language="PYTHON", jobClass="user_jobs.Missing")
        self.assertIn("no class 'Missing'", missing["error"]["message"])
        self.assertIn("ModuleNotFoundError", self.execute(kind="job", language="PYTHON", jobClass="nope.Job")["error"]["message"])

    def test_jobs_import_an_installed_ilum_job_api_over_the_agents_copy(self):
        found = self.execute(kind="job", language="PYTHON", jobClass="user_jobs.WhichIlum")["result"]
        self.assertEqual(found, os.path.join(self.site, "ilum", "api.py"))

    def test_scala_starts_on_first_use_when_not_warmed(self):
        self.assertEqual(self.info["interpreters"], {}, "no interpreter was warmed up")
        body = self.execute(kind="code", language="SCALA", code="spark.range(1000).count()")
        self.assertEqual(body["result"], "val res0: Long = 1000\n")
        self.assertEqual(self.execute(kind="code", language="SCALA", code="res0 + 1")["result"], "val res1: Long = 1001\n")
        # The job's own jars (--jars) are on the Scala compiler's class path.
        body = self.execute(kind="code", language="SCALA", code="new example.CountJob().getClass.getName")
        self.assertEqual(body["result"], 'val res2: String = example.CountJob\n')

    def test_jvm_job_classes_get_the_contract_from_the_runtime(self):
        self.assertEqual(self.execute(kind="job", language="SCALA", jobClass="example.CountJob", config={"n": 7}),
                         {"result": "jvm:7"})
        failed = self.execute(kind="job", language="SCALA", jobClass="example.CountJob", config={"n": -1})
        self.assertEqual(failed["error"]["message"], "java.lang.IllegalArgumentException: n must not be negative")
        self.assertIn("at example.CountJob.run", failed["error"]["stackTrace"])
        missing = self.execute(kind="job", language="SCALA", jobClass="example.Nope")
        self.assertEqual(missing["error"]["message"], "java.lang.ClassNotFoundException: example.Nope")

    def test_code_cells_share_a_namespace(self):
        self.assertEqual(self.execute(kind="code", code="total = spark.range(5).count()"), {"result": None, "data": None})
        self.assertEqual(self.execute(kind="code", code="print('sum'); total * 2")["result"], "sum\n10")
        self.assertEqual(self.execute(kind="code", code="sc.parallelize([1, 2, 3]).sum()")["result"], "6")
        self.assertIn("SyntaxError", self.execute(kind="code", code="def (")["error"]["message"])

    def test_completion_at_the_cursor(self):
        body = self.execute(kind="complete", code="x = spark.ra", cursor=12)
        self.assertEqual(body["completions"], ["spark.range("])
        self.assertIn("spark.read", self.execute(kind="complete", code="spark.re", cursor=8)["completions"])
        self.assertEqual(self.execute(kind="complete", code="1 + ", cursor=4)["completions"], [])

    def test_cancel_a_long_request_and_stay_usable(self):
        answer = {}
        worker = threading.Thread(target=lambda: answer.update(self.execute(
            requestId="long-1", kind="job", language="PYTHON", jobClass="user_jobs.SlowJob")))
        worker.start()
        deadline = time.monotonic() + 30
        while self.call("/health")[1]["state"] != "BUSY" and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1)  # let the Spark job start
        status, busy = self.call("/execute", {"requestId": "other", "kind": "code", "code": "1"})
        self.assertEqual(status, 409, f"never two requests on one driver ({busy}, {answer})")
        self.assertEqual(self.call("/cancel", {"requestId": "long-1"}), (200, {"cancelled": True}))
        worker.join(30)
        self.assertFalse(worker.is_alive(), "cancelled request returned")
        self.assertIn("cancel", answer["error"]["message"].lower())
        self.assertEqual(self.execute(kind="code", code="spark.range(3).count()")["result"], "3")

    def test_cancel_pure_python_code(self):
        answer = {}
        worker = threading.Thread(target=lambda: answer.update(self.execute(
            requestId="loop-1", kind="code", code="import time\nwhile True:\n    time.sleep(0.05)")))
        worker.start()
        deadline = time.monotonic() + 10
        while self.call("/cancel", {"requestId": "loop-1"})[1] != {"cancelled": True} and time.monotonic() < deadline:
            time.sleep(0.05)
        worker.join(15)
        self.assertFalse(worker.is_alive(), "an endless Python loop was interrupted")
        self.assertEqual(answer["error"]["message"], "the request was cancelled")
        self.assertEqual(self.execute(kind="code", code="40 + 2")["result"], "42")


if __name__ == "__main__":
    unittest.main()
