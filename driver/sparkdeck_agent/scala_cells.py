"""Scala cells: Spark's own Scala interpreter in the driver's JVM
(dev.sparkdeck.driver.ScalaInterpreter), started when first needed or warmed up at start.

Its classes go to the directory the SparkContext serves to executors
(`spark.repl.class.outputDir`, set before the session is created), so closures and case
classes defined in a cell run in tasks."""

import threading
import time

from . import tables

# Statements that pay for the interpreter's first compilations and the paths a cell takes
# (a Spark job, a Dataset of a case class, a closure run in tasks) before READY.
WARM_UP = (
    "spark.range(1000).count()",
    "spark.range(1000).selectExpr(\"id % 7 as k\").groupBy(\"k\").count().collect()",
    "spark.range(10).map(x => x * 2).collect()",
    "Seq((1, \"a\")).toDF(\"n\", \"s\").where($\"n\" > 0).count()",
    "1 + 1",
)
# Warm-up rounds run until one is no faster than the best before it twice in a row (the JVM
# has compiled the compiler's paths), at least MIN and at most MAX rounds or MAX_S seconds.
WARM_UP_MIN_ROUNDS = 3
WARM_UP_MAX_ROUNDS = 15
WARM_UP_MAX_S = 30.0


class ScalaError(Exception):
    """A Scala cell that did not compile or threw; `message` starts as the contract says."""

    def __init__(self, message, stack):
        super().__init__(message)
        self.message = message
        self.stack = stack


class ScalaCells:
    def __init__(self, spark, class_dir, stack_trace):
        self.spark = spark
        self.class_dir = class_dir
        self.stack_trace = stack_trace  # formats a Java Throwable's stack trace
        self.interpreter = None
        self.start_lock = threading.Lock()
        # IMain is not thread safe: completion must not run beside a statement.
        self.use_lock = threading.Lock()

    def started(self):
        """The interpreter, started on first use (a few seconds)."""
        with self.start_lock:
            if self.interpreter is None:
                jvm = self.spark.sparkContext._jvm
                self.interpreter = jvm.dev.sparkdeck.driver.ScalaInterpreter(self.spark._jsparkSession, self.class_dir)
            return self.interpreter

    def warm_up(self):
        """Starts the interpreter and runs the warm-up statements; milliseconds taken. They
        define no name a user sees (`val _ = ...`: the first result is still `res0`)."""
        began = time.monotonic()
        rounds, best, settled = 0, float("inf"), 0
        with self.use_lock:
            interpreter = self.started()
            while rounds < WARM_UP_MAX_ROUNDS and time.monotonic() - began < WARM_UP_MAX_S:
                round_began = time.monotonic()
                for statement in WARM_UP:
                    interpreter.warmUp(statement)
                took = time.monotonic() - round_began
                rounds += 1
                settled = settled + 1 if took >= best * 0.95 else 0
                best = min(best, took)
                if rounds >= WARM_UP_MIN_ROUNDS and settled >= 2:
                    break
        return int((time.monotonic() - began) * 1000)

    def run(self, code):
        from pyspark.sql import DataFrame

        with self.use_lock:
            outcome = self.started().execute(code)
        status, output = outcome.status(), outcome.output()
        if status == "runtime":
            error = outcome.error()
            raise ScalaError(outcome.message(), self.stack_trace(error) if error is not None else output)
        if status != "ok":
            raise ScalaError(outcome.message(), output)
        dataset = outcome.dataset()
        if dataset is not None:
            return tables.dataframe_answer(DataFrame(dataset.toDF(), self.spark), output)
        return tables.text_answer(output or None)

    def interrupt(self):
        """Interrupts the JVM thread of the running statement, if one runs."""
        interpreter = self.interpreter
        if interpreter is not None:
            interpreter.interrupt()

    def complete(self, code, cursor):
        # Not beside a running statement (the compiler is shared): no candidates then.
        if not self.use_lock.acquire(blocking=False):
            return []
        try:
            return list(self.started().complete(code, cursor))
        finally:
            self.use_lock.release()
