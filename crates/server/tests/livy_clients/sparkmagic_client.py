"""sparkmagic 0.23.0's Livy client library driven as a notebook drives it, against
Sparkdeck's Livy API on real Spark: create a session, run code, a %%sql-style query,
cancel a long statement (the notebook's interrupt), delete.

Usage: sparkmagic_client.py LIVY_URL TOKEN KIND   (KIND: spark or pyspark)
Prints one "ok: ..." line per check; any failed check raises (non-zero exit).
"""

import builtins
import sys
from argparse import Namespace

from IPython.core.interactiveshell import InteractiveShell

from sparkmagic.auth.basic import Basic
from sparkmagic.livyclientlib.command import Command
from sparkmagic.livyclientlib.endpoint import Endpoint
from sparkmagic.livyclientlib.exceptions import SparkStatementCancelledException
from sparkmagic.livyclientlib.livyreliablehttpclient import LivyReliableHttpClient
from sparkmagic.livyclientlib.livysession import LivySession
from sparkmagic.livyclientlib.sqlquery import SQLQuery

url, token, kind = sys.argv[1], sys.argv[2], sys.argv[3]
# A notebook's kernel: sparkmagic reaches its IPython shell through get_ipython().
builtins.get_ipython = InteractiveShell.instance


class Display:
    """What the notebook shows, kept instead."""

    def __init__(self):
        self.lines = []

    def writeln(self, text):
        self.lines.append(str(text))

    def write(self, text):
        self.lines.append(str(text))

    def send_error(self, text):
        self.lines.append("error: " + str(text))

    def html(self, _html):
        pass

    def display(self, _widget):
        pass


# As `%spark add -s s -l python -u URL -t Basic_Access -a notebook -p TOKEN` parses it.
auth = Basic(Namespace(user="notebook", password=token, url=url, auth="Basic_Access"))
endpoint = Endpoint(url, auth)
client = LivyReliableHttpClient.from_endpoint(endpoint)
display = Display()
session = LivySession(client, {"kind": kind, "conf": {"spark.ui.showConsoleProgress": "false"}}, display)
session.start()
assert session.status == "idle", session.status
assert session.sql_context_variable_name == "spark", display.lines
print("ok: session started, 'spark' available", flush=True)

code = "spark.range(1000).count()" if kind == "spark" else "print(spark.range(1000).count())"
success, out, mimetype = Command(code).execute(session)
assert success and "1000" in out, (success, out)
print("ok: code ran", flush=True)

frame = SQLQuery("SELECT id, id * 2 AS twice FROM range(4)", maxrows=10).execute(session)
assert list(frame["twice"]) == [0, 2, 4, 6], frame
print("ok: %%sql query", flush=True)

# The notebook's interrupt: the first poll of a long statement raises KeyboardInterrupt,
# and sparkmagic cancels the statement and waits for the session to be idle again.
# Scala: a Spark job of hours (its job group is cancelled). Python: short sleeps (an
# interrupt reaches Python code between them, not inside one C call).
long_code = (
    'spark.range(0L, 1L << 42, 1L, 2).selectExpr("sum(id)").collect()'
    if kind == "spark"
    else "import time\nfor _ in range(6000): time.sleep(0.1)"
)
real_sleep = session.sleep
session.sleep = lambda retries: (_ for _ in ()).throw(KeyboardInterrupt())
try:
    Command(long_code).execute(session)
    raise AssertionError("the interrupted statement raises")
except SparkStatementCancelledException:
    pass
session.sleep = real_sleep
statements = client._http_client.get("/sessions/{}/statements".format(session.id), [200]).json()["statements"]
assert statements[-1]["state"] in ("cancelled", "cancelling"), statements[-1]
assert session.status == "idle", session.status
success, out, _ = Command(code).execute(session)
assert success and "1000" in out, (success, out)
print("ok: long statement cancelled, session usable", flush=True)

session.delete()
assert client.get_sessions()["total"] == 0
print("ok: session deleted", flush=True)
