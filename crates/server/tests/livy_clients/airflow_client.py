"""Airflow's Livy provider (apache-airflow-providers-apache-livy) against Sparkdeck's Livy
API on real Spark: a DAG with one LivyOperator batch, run by `airflow dags test` (the real
task runner, on a throwaway AIRFLOW_HOME with SQLite), then the LivyHook reading the
batch's state and log.

Usage: airflow_client.py LIVY_URL TOKEN BATCH_FILE AIRFLOW_HOME
The connection is AIRFLOW_CONN_LIVY_DEFAULT (host, port, the token as the Basic password),
as Airflow deployments often configure it.
Prints one "ok: ..." line per check; any failed check raises (non-zero exit).
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

url, token, batch_file, home = sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4])
parsed = urlparse(url)
os.environ.update(
    AIRFLOW_HOME=str(home),
    AIRFLOW__CORE__LOAD_EXAMPLES="False",
    AIRFLOW__CORE__DAGS_FOLDER=str(home / "dags"),
    BATCH_FILE=batch_file,
    AIRFLOW_CONN_LIVY_DEFAULT=json.dumps(
        {"conn_type": "livy", "host": parsed.hostname, "port": parsed.port, "schema": "http", "login": "airflow", "password": token}
    ),
)
(home / "dags").mkdir(parents=True, exist_ok=True)
(home / "dags" / "livy_batch.py").write_text(
    """
import datetime, os
from airflow.sdk import DAG
from airflow.providers.apache.livy.operators.livy import LivyOperator

with DAG("livy_batch", schedule=None, start_date=datetime.datetime(2026, 1, 1)):
    LivyOperator(task_id="count", file=os.environ["BATCH_FILE"], args=["7"], polling_interval=1, livy_conn_id="livy_default")
"""
)
airflow = str(Path(sys.executable).parent / "airflow")
for command in (["db", "migrate"], ["dags", "reserialize"], ["dags", "test", "livy_batch"]):
    run = subprocess.run([airflow, *command], capture_output=True, text=True)
    assert run.returncode == 0, (command, run.stdout[-4000:], run.stderr[-4000:])
assert "Batch with id 0 terminated with state: success" in run.stdout + run.stderr, (run.stdout[-4000:], run.stderr[-4000:])
print("ok: LivyOperator batch succeeded", flush=True)

from airflow.providers.apache.livy.hooks.livy import BatchState, LivyHook  # noqa: E402

hook = LivyHook(livy_conn_id="livy_default")
assert hook.get_batch_state(0) == BatchState.SUCCESS
log = hook.get_batch_logs(0, 0, 1000)["log"]
assert any("counted 7" in line for line in log), log
print("ok: LivyHook state and log", flush=True)
