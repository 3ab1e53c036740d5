"""pylivy (livy 0.8.0 on PyPI) against Sparkdeck's Livy API on real Spark.

Usage: pylivy_client.py URL TOKEN KINDS BATCH_FILE
  KINDS: comma list of session kinds to drive (pyspark, spark, sql), one session each,
  one after the other (each is a Spark driver). The token is sent as a Basic password.
Prints one "ok: ..." line per check; any failed check raises (non-zero exit).
"""

import sys

from livy import LivyBatch, LivySession, SessionKind, SessionState, SparkRuntimeError

url, token, kinds, batch_file = sys.argv[1], sys.argv[2], sys.argv[3].split(","), sys.argv[4]
auth = ("any-user", token)


def pyspark():
    with LivySession.create(url, auth=auth, kind=SessionKind.PYSPARK, name="pylivy-pyspark", echo=False) as session:
        assert session.state == SessionState.IDLE, session.state
        out = session.run("print(spark.range(10).count())")
        assert out.text.strip() == "10", out
        session.run("df = spark.range(3).selectExpr('id', 'id * 2 AS twice')")
        frame = session.download("df")
        assert list(frame["twice"]) == [0, 2, 4], frame
        try:
            session.run("undefined_name")
            raise AssertionError("an error output raises")
        except SparkRuntimeError as e:
            assert e.ename == "NameError", e
            assert "undefined_name" in e.evalue, e
        print("ok: pyspark run, download, error", flush=True)


def spark():
    with LivySession.create(url, auth=auth, kind=SessionKind.SPARK, name="pylivy-spark", echo=False) as session:
        out = session.run("spark.range(1000).count()")
        assert "1000" in out.text, out
        # Definitions are kept between statements, and a temp view made in Scala is SQL's.
        session.run('val df = spark.range(3).selectExpr("id", "id * 2 AS twice")')
        session.run('df.createOrReplaceTempView("twice")')
        out = session.run('println(spark.sql("SELECT sum(twice) FROM twice").first().getLong(0))')
        assert out.text.strip().endswith("6"), out
        # pylivy's download runs `df.toJSON.collect.foreach(println)` and parses each line.
        frame = session.download("df")
        assert list(frame["twice"]) == [0, 2, 4], frame
        print("ok: spark run, definitions kept, temp view, download", flush=True)


def sql():
    with LivySession.create(url, auth=auth, kind=SessionKind.SQL, name="pylivy-sql", echo=False) as session:
        frame = session.read_sql("SELECT id, id * 2 AS twice FROM range(3)")
        assert list(frame.columns) == ["id", "twice"], frame
        assert list(frame["twice"]) == [0, 2, 4], frame
        frame = session.download_sql("SELECT 'x' AS letter")
        assert list(frame["letter"]) == ["x"], frame
        print("ok: sql read_sql, download_sql", flush=True)


def batch():
    job = LivyBatch.create(url, file=batch_file, auth=auth, args=["7"], name="pylivy-batch")
    state = job.wait()
    assert state == SessionState.SUCCESS, (state, job.log())
    assert any("counted 7" in line for line in job.log(size=1000)), job.log()
    print("ok: batch success and log", flush=True)


for kind in kinds:
    {"pyspark": pyspark, "spark": spark, "sql": sql}[kind]()
if batch_file:
    batch()
