"""The agent's rules that need no Spark: where `ilum` comes from, which interpreters the
environment lists, how SQL and Python cells are split, Livy's %table shapes.

Run: .venv/bin/python -m unittest discover -s driver/tests -v
"""

import importlib.util
import os
import sys
import unittest

from agent_process import DRIVER_DIR

sys.path.insert(0, DRIVER_DIR)
import sparkdeck_driver  # noqa: E402  (after the path it lives on)
from sparkdeck_agent import python_cells, sql_cells, tables  # noqa: E402


class IlumPackage(unittest.TestCase):
    def test_the_agents_directory_and_zip_go_last(self):
        here = sparkdeck_driver.AGENT_DIR
        path = [here, "/venv/site-packages", "/job/agent/ilum.zip", "/opt/lib"]
        self.assertEqual(sparkdeck_driver.agent_last(path), ["/venv/site-packages", "/opt/lib", here, "/job/agent/ilum.zip"])
        self.assertEqual(sparkdeck_driver.agent_last(["/a"]), ["/a", here], "the copy stays importable")

    def test_ilum_job_is_an_abstract_base_class(self):
        spec = importlib.util.spec_from_file_location("agent_ilum_api", os.path.join(DRIVER_DIR, "ilum", "api.py"))
        api = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(api)

        class NoRun(api.IlumJob):
            pass

        class Runs(api.IlumJob):
            def run(self, spark, config):
                return "ran"

        with self.assertRaises(TypeError):
            NoRun()
        self.assertEqual(Runs().run(None, {}), "ran")


class Interpreters(unittest.TestCase):
    def test_listed_interpreters(self):
        self.assertEqual(sparkdeck_driver.interpreters({}), [])
        self.assertEqual(sparkdeck_driver.interpreters({"SPARKDECK_DRIVER_INTERPRETERS": "scala, SQL,PYTHON,SQL"}),
                         ["SCALA", "SQL", "PYTHON"])
        with self.assertRaises(ValueError) as caught:
            sparkdeck_driver.interpreters({"SPARKDECK_DRIVER_INTERPRETERS": "PYTHON,R"})
        self.assertIn("SPARKDECK_DRIVER_INTERPRETERS: 'R'", str(caught.exception))


class Splitting(unittest.TestCase):
    def test_sql_statements(self):
        self.assertEqual(sql_cells.split_statements("SELECT 1; SELECT ';' AS s -- x; y\n; /* ; */ ;"),
                         ["SELECT 1", "SELECT ';' AS s -- x; y"])
        self.assertEqual(sql_cells.split_statements("SELECT `a;b` FROM t"), ["SELECT `a;b` FROM t"])
        self.assertEqual(sql_cells.split_statements(" -- only a comment"), [])

    def test_python_magic_lines(self):
        self.assertEqual(python_cells.split_magics("x = '%json y'"), ["x = '%json y'"])
        self.assertEqual(python_cells.split_magics("x = 1\ny = 2\n%table x\nz = 3"), ["x = 1\ny = 2", "%table x", "z = 3"])


class Tables(unittest.TestCase):
    def test_livy_table_of_scalars_and_rows(self):
        text, data = python_cells.magic_table([1, 2])
        self.assertEqual(data["application/vnd.livy.table.v1+json"],
                         {"headers": [{"name": "0", "type": "INT_TYPE"}], "data": [[1], [2]]})
        self.assertIn("|  0|", text)

    def test_text_rendering_cuts_long_cells(self):
        text = tables.render_text(["long"], [["x" * 30], [None], [True]])
        self.assertEqual(text.splitlines()[3], "|xxxxxxxxxxxxxxxxx...|")
        self.assertEqual(text.splitlines()[4:6], ["|                NULL|", "|                true|"])
