"""Python, Scala and SQL cells on one real driver (its interpreters listed in
SPARKDECK_DRIVER_INTERPRETERS, so Scala is warmed before READY): answers with MIME bundles,
tables, Livy's magics, errors that start with the exception's class, completion, progress
and cancel.

Run: .venv/bin/python -m unittest discover -s driver/tests -v   (needs Java 17 and javac)
"""

import base64
import os
import re
import shutil
import tempfile
import threading
import time
import unittest

from agent_process import AgentProcess, build_agent_jar, wait_until


class LanguagesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="sparkdeck-driver-languages-")
        build_agent_jar()
        cls.agent = AgentProcess(cls.work, "languages", env={"SPARKDECK_DRIVER_INTERPRETERS": "PYTHON,SQL,SCALA"})
        try:
            cls.info = cls.agent.wait_ready()
        except RuntimeError:
            shutil.rmtree(cls.work, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.agent.kill()
        if os.environ.get("KEEP_LOG"):
            shutil.copy(cls.agent.log_path, os.environ["KEEP_LOG"])
        shutil.rmtree(cls.work, ignore_errors=True)

    def execute(self, **request):
        request.setdefault("requestId", f"r-{time.monotonic_ns()}")
        request.setdefault("kind", "code")
        status, body = self.agent.call("/execute", request, timeout=240)
        self.assertEqual(status, 200, body)
        return body

    def scala(self, code):
        return self.execute(language="SCALA", code=code)

    def sql(self, code):
        return self.execute(language="SQL", code=code)

    def ok(self, body):
        self.assertNotIn("error", body)
        if body["data"] is not None and "text/plain" in body["data"]:
            self.assertEqual(body["data"]["text/plain"], body["result"], "result is the bundle's text")
        return body

    # -- Scala ------------------------------------------------------------------------

    def test_scala_was_warmed_before_ready(self):
        self.assertGreater(self.info["interpreters"]["SCALA"]["warmupMs"], 0)
        # The warm-up defined nothing: the first result is the REPL's res0... or later ones.
        self.assertNotIn("warm", self.execute(kind="complete", language="SCALA", code="warm", cursor=4)["completions"])

    def test_scala_prints_and_shows_the_value_as_the_repl_does(self):
        body = self.ok(self.scala('println("counting"); spark.range(1000).count()'))
        self.assertRegex(body["result"], r"^counting\nval res\d+: Long = 1000\n$")

    def test_scala_output_is_the_statements_own(self):
        # Notebook idiom (pylivy's download sends it) that Scala 2.13 deprecates: auto-applied
        # `collect`. A warning in the output would be read as a line of the result.
        body = self.ok(self.scala('spark.range(2).selectExpr("id").toJSON.collect.foreach(println)'))
        self.assertEqual(body["result"], '{"id":0}\n{"id":1}\n')

    def test_scala_definitions_are_kept_between_statements(self):
        self.ok(self.scala("val base = 40"))
        self.ok(self.scala("def plus(n: Int): Int = base + n"))
        self.assertRegex(self.ok(self.scala("plus(2)"))["result"], r"res\d+: Int = 42")

    def test_scala_compile_error(self):
        body = self.scala("val y = notDefinedAnywhere + 1")
        self.assertEqual(body["error"]["message"], "error: not found: value notDefinedAnywhere")
        self.assertIn("^", body["error"]["stackTrace"], "the compiler's rendering points at the error")
        self.assertTrue(self.scala("def open(a: Int) = {")["error"]["message"].startswith("error: incomplete input"))

    def test_scala_runtime_exception(self):
        body = self.scala('throw new IllegalStateException("broken on purpose")')
        self.assertEqual(body["error"]["message"], "java.lang.IllegalStateException: broken on purpose")
        self.assertIn("java.lang.IllegalStateException", body["error"]["stackTrace"])
        self.ok(self.scala("1 + 1"))

    def test_scala_classes_run_in_tasks(self):
        self.assertRegex(self.ok(self.scala("spark.range(10).map(x => x * 2).collect().sum"))["result"], r"= 90\n")
        self.ok(self.scala("case class Person(name: String, age: Int)"))
        body = self.ok(self.scala('Seq(Person("ann", 30), Person("bob", 41)).toDS().filter(_.age > 35).map(_.name).collect().mkString(",")'))
        self.assertRegex(body["result"], r'= bob\n')

    def test_scala_completion(self):
        self.ok(self.scala("val completeMeNumber = 5"))
        found = self.execute(kind="complete", language="SCALA", code="spark.ran", cursor=9)["completions"]
        self.assertIn("range", found)
        found = self.execute(kind="complete", language="SCALA", code="completeMeN", cursor=11)["completions"]
        self.assertEqual(found, ["completeMeNumber"])

    def test_scala_dataset_value_is_a_table(self):
        body = self.ok(self.scala('spark.range(3).selectExpr("id", "id * 10 AS tens")'))
        table = body["data"]["application/json"]
        self.assertEqual(table["data"], [[0, 0], [1, 10], [2, 20]])
        self.assertEqual([f["name"] for f in table["schema"]["fields"]], ["id", "tens"])
        self.assertIn("|  1|  10|", body["result"])

    # -- all three on one session -----------------------------------------------------

    def test_a_temp_view_made_in_scala_is_read_by_sql_and_python(self):
        self.ok(self.scala('spark.range(7).toDF("n").createOrReplaceTempView("made_in_scala")'))
        table = self.ok(self.sql("SELECT sum(n) AS total FROM made_in_scala"))["data"]["application/json"]
        self.assertEqual(table["data"], [[21]])
        self.assertEqual(table["schema"]["fields"], [{"name": "total", "type": "long", "nullable": True, "metadata": {}}])
        self.assertEqual(self.ok(self.execute(code="spark.table('made_in_scala').count()"))["result"], "7")

    # -- SQL --------------------------------------------------------------------------

    def test_sql_rows_are_a_table_and_text(self):
        body = self.ok(self.sql("SELECT 1 AS a, 'x' AS b, CAST(NULL AS INT) AS c, DATE'2024-01-02' AS d"))
        table = body["data"]["application/json"]
        self.assertEqual(table["schema"]["type"], "struct")
        self.assertEqual([(f["name"], f["type"]) for f in table["schema"]["fields"]],
                         [("a", "integer"), ("b", "string"), ("c", "integer"), ("d", "date")])
        self.assertEqual(table["data"], [[1, "x", None, "2024-01-02"]])
        self.assertFalse(table["truncated"])
        self.assertEqual(body["result"], "+---+---+----+----------+\n"
                                         "|  a|  b|   c|         d|\n"
                                         "+---+---+----+----------+\n"
                                         "|  1|  x|NULL|2024-01-02|\n"
                                         "+---+---+----+----------+\n")

    def test_sql_tables_stop_at_a_thousand_rows(self):
        table = self.ok(self.sql("SELECT id FROM range(1500)"))["data"]["application/json"]
        self.assertEqual((len(table["data"]), table["data"][-1], table["truncated"]), (1000, [999], True))
        body = self.ok(self.sql("SELECT id FROM range(1000)"))
        self.assertEqual((len(body["data"]["application/json"]["data"]), body["data"]["application/json"]["truncated"]),
                         (1000, False))
        self.assertTrue(body["result"].endswith("only showing top 20 rows\n"))

    def test_sql_commands_and_several_statements(self):
        body = self.ok(self.sql("CREATE OR REPLACE TEMP VIEW two AS SELECT 2 AS x;\n-- a comment; with a semicolon\n"
                                "SELECT x * 21 AS y, 'a;b' AS s FROM two;"))
        self.assertEqual(body["data"]["application/json"]["data"], [[42, "a;b"]])
        ddl = self.ok(self.sql("CREATE OR REPLACE TEMP VIEW three AS SELECT 3 AS x"))["data"]["application/json"]
        self.assertEqual((ddl["data"], ddl["truncated"]), ([], False))

    def test_sql_errors_name_the_exception(self):
        message = self.sql("SELECT * FROM no_such_table")["error"]["message"]
        self.assertRegex(message, r"^org\.apache\.spark\.sql\.[\w.]*AnalysisException: .*TABLE_OR_VIEW_NOT_FOUND")
        self.assertRegex(self.sql("SELEC 1")["error"]["message"], r"^org\.apache\.spark\.sql\.[\w.]*ParseException: ")

    def test_sql_completion(self):
        self.ok(self.sql("CREATE OR REPLACE TEMP VIEW completion_view AS SELECT 1 AS x"))
        self.assertEqual(self.execute(kind="complete", language="SQL", code="SELECT * FROM completion_v", cursor=26)["completions"],
                         ["completion_view"])
        self.assertIn("SELECT", self.execute(kind="complete", language="SQL", code="sel", cursor=3)["completions"])

    # -- Python -----------------------------------------------------------------------

    def test_python_dataframe_as_last_value(self):
        body = self.ok(self.execute(code='df = spark.range(3).selectExpr("id", "id * 2 AS twice")\nprint("before")\ndf'))
        self.assertEqual(body["data"]["application/json"]["data"], [[0, 0], [1, 2], [2, 4]])
        self.assertTrue(body["result"].startswith("before\n+---+-----+\n| id|twice|\n"), body["result"])

    def test_python_plain_values_and_errors(self):
        self.assertEqual(self.ok(self.execute(code="6 * 7")), {"result": "42", "data": {"text/plain": "42"}})
        self.assertEqual(self.ok(self.execute(code="quiet = 1")), {"result": None, "data": None})
        self.assertEqual(self.execute(code="undefined_name")["error"]["message"], "NameError: name 'undefined_name' is not defined")

    def test_magic_json(self):
        body = self.ok(self.execute(code='value = {"a": [1, 2], "b": None}\n%json value'))
        self.assertEqual(body["data"], {"application/json": {"a": [1, 2], "b": None}})
        self.assertEqual(body["result"], '{"a": [1, 2], "b": null}')
        self.assertTrue(self.execute(code="%json object()")["error"]["message"].startswith("MagicError: %json"))

    def test_magic_table(self):
        body = self.ok(self.execute(code='rows = [{"name": "ann", "age": 30}, {"name": "bob", "age": None}]\n%table rows'))
        self.assertEqual(body["data"]["application/vnd.livy.table.v1+json"], {
            "headers": [{"name": "age", "type": "INT_TYPE"}, {"name": "name", "type": "STRING_TYPE"}],
            "data": [[30, "ann"], [None, "bob"]]})
        body = self.ok(self.execute(code="%table [(1, 'x'), (2, 'y')]"))
        self.assertEqual(body["data"]["application/vnd.livy.table.v1+json"]["headers"],
                         [{"name": "0", "type": "INT_TYPE"}, {"name": "1", "type": "STRING_TYPE"}])
        mixed = self.execute(code="%table [[1], ['one']]")["error"]["message"]
        self.assertTrue(mixed.startswith("MagicError: %table: column 0 has values of types INT_TYPE and STRING_TYPE"), mixed)

    def test_magic_matplot(self):
        # This driver's environment has no matplotlib: the magic says so.
        message = self.execute(code="%matplot None")["error"]["message"]
        self.assertIn("matplotlib", message)
        # With a module of that name, the figure's PNG bytes come back base64-encoded.
        fake = ("import sys, types\nsys.modules.setdefault('matplotlib', types.ModuleType('matplotlib'))\n"
                "class Figure:\n    def savefig(self, out, format):\n        out.write(b'PNG:' + format.encode())\n"
                "class Plt:\n    def gcf(self):\n        return Figure()\nplt = Plt()\n%matplot plt")
        body = self.ok(self.execute(code=fake))
        self.assertEqual(base64.b64decode(body["data"]["image/png"]), b"PNG:png")
        self.execute(code="del sys.modules['matplotlib']")
        self.assertTrue(self.execute(code="%nope 1")["error"]["message"].startswith("MagicError: unknown magic %nope"))

    # -- progress and cancel ------------------------------------------------------------

    def run_in_background(self, request_id, language, code):
        answer = {}
        worker = threading.Thread(target=lambda: answer.update(
            self.execute(requestId=request_id, language=language, code=code)))
        worker.start()
        return worker, answer

    def test_progress_while_a_job_runs(self):
        self.assertIsNone(self.agent.call("/health")[1]["progress"], "no request, no progress")
        # Four tasks on two cores: two end soon, two sleep; progress reads 1/2 meanwhile.
        worker, answer = self.run_in_background(
            "progress-1", "SCALA", "sc.parallelize(0 until 4, 4).map { i => Thread.sleep(if (i >= 2) 4000 else 1000); i }.count()")
        seen = []

        def partway():
            progress = self.agent.call("/health")[1]["progress"]
            seen.append(progress)
            return progress is not None and 0 < progress < 1

        self.assertTrue(wait_until(partway, 60), f"progress between 0 and 1 while the job ran (saw {[p for i, p in enumerate(seen) if i == 0 or seen[i - 1] != p]}, {answer})")
        worker.join(60)
        self.assertRegex(answer["result"], r"= 4\n")
        self.assertIsNone(self.agent.call("/health")[1]["progress"])

    def test_cancel_a_long_scala_statement(self):
        worker, answer = self.run_in_background("scala-long", "SCALA", 'spark.range(0, 1000000000000L).where("id % 3 = 7").count()')
        self.assertTrue(wait_until(lambda: self.agent.call("/health")[1]["progress"] is not None, 60))
        self.assertEqual(self.agent.call("/cancel", {"requestId": "scala-long"}), (200, {"cancelled": True}))
        worker.join(60)
        self.assertFalse(worker.is_alive(), "the cancelled statement returned")
        self.assertEqual(answer["error"]["message"], "the request was cancelled")
        self.assertRegex(self.ok(self.scala("spark.range(3).count()"))["result"], r"= 3\n")

    def test_cancel_scala_code_that_runs_no_spark_job(self):
        worker, answer = self.run_in_background("scala-loop", "SCALA", "while (true) Thread.sleep(50)")
        self.assertTrue(wait_until(lambda: self.agent.call("/cancel", {"requestId": "scala-loop"})[1] == {"cancelled": True}, 60))
        worker.join(60)
        self.assertFalse(worker.is_alive(), "the interrupted statement returned")
        self.assertEqual(answer["error"]["message"], "the request was cancelled")
        self.assertRegex(self.ok(self.scala("Thread.sleep(10); 5"))["result"], r"= 5\n", "the next statement is not interrupted")

    def test_unknown_language_is_refused(self):
        self.assertEqual(self.execute(language="R", code="1")["error"]["message"], "unknown language 'R': one of PYTHON, SCALA, SQL")


if __name__ == "__main__":
    unittest.main()
