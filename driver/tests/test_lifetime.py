"""The agent does not outlive its owner: its lease runs out when no engine contacts it, and
it exits with its JVM. The lease rules on a fake clock; both ends on real Spark.

Run: .venv/bin/python -m unittest discover -s driver/tests -v   (needs Java 17)
"""

import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import unittest

from agent_process import DRIVER_DIR, AgentProcess, build_agent_jar, parent_of, process_gone, wait_until

sys.path.insert(0, DRIVER_DIR)
import sparkdeck_driver  # noqa: E402  (after the path it lives on)

# Long enough for a loaded machine to answer a health check, short enough for a test.
SHORT_LEASE_S = 4


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class LeaseRules(unittest.TestCase):
    def test_runs_out_only_after_the_lease_without_contact(self):
        clock = FakeClock()
        lease = sparkdeck_driver.Lease(10, clock)
        clock.now = 9
        self.assertFalse(lease.expired())
        with lease.held():
            pass
        clock.now = 18
        self.assertFalse(lease.expired(), "a request renews the lease")
        clock.now = 19.5
        self.assertTrue(lease.expired())

    def test_a_running_request_holds_it(self):
        clock = FakeClock()
        lease = sparkdeck_driver.Lease(10, clock)
        with lease.held():
            clock.now = 100
            self.assertFalse(lease.expired(), "the engine waits for this answer")
        self.assertFalse(lease.expired(), "counted from the answer")
        clock.now = 111
        self.assertTrue(lease.expired())

    def test_lease_from_the_environment(self):
        self.assertEqual(sparkdeck_driver.lease_seconds({}), sparkdeck_driver.DEFAULT_LEASE_S)
        self.assertEqual(sparkdeck_driver.lease_seconds({"SPARKDECK_DRIVER_LEASE_SECONDS": "2.5"}), 2.5)
        for bad in ("0", "-3", "soon", "nan", "inf"):
            with self.assertRaises(ValueError, msg=bad) as caught:
                sparkdeck_driver.lease_seconds({"SPARKDECK_DRIVER_LEASE_SECONDS": bad})
            self.assertIn("SPARKDECK_DRIVER_LEASE_SECONDS", str(caught.exception))


class OwnerEnds(unittest.TestCase):
    """Two real agents, started together: one on a short lease, one whose JVM is killed."""

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="sparkdeck-driver-lifetime-")
        build_agent_jar()
        cls.leased = AgentProcess(cls.work, "leased", env={"SPARKDECK_DRIVER_LEASE_SECONDS": str(SHORT_LEASE_S)})
        cls.orphan = AgentProcess(cls.work, "orphan")
        try:
            cls.leased.wait_ready()
            cls.orphan.wait_ready()
        except RuntimeError:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for agent in (cls.leased, cls.orphan):
            agent.kill()
        shutil.rmtree(cls.work, ignore_errors=True)

    def test_a_contacted_agent_stays_and_an_uncontacted_one_shuts_down(self):
        agent = self.leased
        self.assertEqual(agent.call("/health")[1]["leaseSeconds"], SHORT_LEASE_S)
        # Contacted every second for three lease times: it stays.
        for _ in range(3 * SHORT_LEASE_S):
            status, health = agent.call("/health")
            self.assertEqual(status, 200, health)
            time.sleep(1)
        self.assertIsNone(agent.proc.poll(), "a contacted agent keeps running")
        # A wrong secret is not the engine: it does not renew the lease.
        stop_knocking = threading.Event()

        def knock():
            while not stop_knocking.is_set():
                try:
                    agent.call("/health", secret="not-the-engine", timeout=2)
                except OSError:
                    return
                stop_knocking.wait(0.5)

        knocker = threading.Thread(target=knock, daemon=True)
        knocker.start()
        try:
            ended = wait_until(lambda: agent.proc.poll() is not None, 120)
        finally:
            stop_knocking.set()
            knocker.join()
        self.assertTrue(ended, "an agent nobody contacts ends itself after its lease")
        self.assertEqual(agent.proc.returncode, 0, agent.output()[-2000:])
        self.assertIn(f"no engine contacted this driver for {SHORT_LEASE_S} s", agent.output())

    def test_an_agent_exits_when_its_jvm_is_killed(self):
        agent = self.orphan
        agent_pid = agent.info["pid"]
        jvm_pid = agent.proc.pid  # spark-submit execs into the JVM
        self.assertEqual(parent_of(agent_pid), jvm_pid)
        os.kill(jvm_pid, signal.SIGKILL)
        agent.proc.wait()
        self.assertTrue(wait_until(lambda: process_gone(agent_pid), 60), "the agent outlived its JVM")


if __name__ == "__main__":
    unittest.main()
