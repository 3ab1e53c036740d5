import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { afterEach, expect, test } from "vitest";
import { events, type SparkInstallStatus_Serialize } from "../lib/bindings";
import { argsOf, job, mockBackend, pageOf, refuse } from "../test-fixtures";
import App from "../App.svelte";

afterEach(() => {
  location.hash = "";
});

const MISSING = "no Spark found; install Spark 4.3.0 from the first-run screen or Settings, or pick a Spark folder";
const ENV = {
  sparkHome: "/home/me/.local/share/sparkdeck/spark/lib/python3.11/site-packages/pyspark",
  sparkSubmit: "/home/me/.local/share/sparkdeck/spark/lib/python3.11/site-packages/pyspark/bin/spark-submit",
  sparkVersion: "4.3.0",
  java: "java",
  javaHome: null,
  javaVersion: "17.0.15",
  python: "/home/me/.local/share/sparkdeck/spark/bin/python",
  driverDir: null,
  source: "installed",
};
const IDLE: SparkInstallStatus_Serialize = { state: "idle", step: null, bytesDone: null, bytesTotal: null, error: null, sparkDir: null };

/** The app without Spark until `found()` says otherwise, with what the Jobs page needs. */
function backend(found: () => boolean, more: Record<string, (args: any) => unknown> = {}) {
  return mockBackend({
    spark_status: () => (found() ? { env: ENV, error: null } : { env: null, error: MISSING }),
    spark_install_status: () => IDLE,
    list_jobs: () => pageOf([job()]),
    cluster_names: () => ["default"],
    get_settings: () => ({ settings: { restServer: { enabled: false, port: 9888 }, livy: { enabled: false, port: 8998 }, jobDefaults: { clusterName: "default", language: "PYTHON", jobConfig: "" } }, dataDir: "/d" }),
    ...more,
  });
}

test("without Spark the first-run screen shows instead of the app; an install's progress moves, then the Jobs page opens", async () => {
  let installed = false;
  const calls = backend(() => installed, {
    start_spark_install: () => ({ ...IDLE, state: "running", step: "createEnvironment" }),
    cancel_spark_install: () => ({ ...IDLE, state: "running", step: "download" }),
  });
  const user = userEvent.setup();
  render(App);

  const screenCard = await screen.findByRole("region", { name: "Set up Spark" });
  expect(screenCard).toHaveTextContent(MISSING);
  expect(screen.queryByRole("navigation", { name: "Main" })).not.toBeInTheDocument();
  await user.click(within(screenCard).getByRole("button", { name: "Install Spark 4.3.0" }));
  expect(argsOf(calls, "start_spark_install")).toHaveLength(1);

  const bar = await screen.findByRole("progressbar", { name: "Spark install" });
  expect(bar).toHaveAttribute("value", "0");
  await events.engineChanged.emit({ kind: "sparkInstallChanged", install: { ...IDLE, state: "running", step: "download", bytesDone: 100e6, bytesTotal: 400e6 } });
  await waitFor(() => expect(bar).toHaveAttribute("value", "0.275"));
  expect(screenCard).toHaveTextContent("Downloading pyspark — 100.0 MB of 400.0 MB");
  await user.click(within(screenCard).getByRole("button", { name: "Cancel" }));
  expect(argsOf(calls, "cancel_spark_install")).toHaveLength(1);

  installed = true;
  await events.engineChanged.emit({ kind: "sparkInstallChanged", install: { ...IDLE, state: "succeeded", step: "check", sparkDir: "/d/spark" } });
  expect(await screen.findByRole("heading", { level: 1, name: "Jobs" })).toBeInTheDocument();
  expect(location.hash).toBe("#/jobs");
  expect(screen.getByRole("navigation", { name: "Main" })).toBeInTheDocument();
});

test("a failed or cancelled install says why and can be started again", async () => {
  backend(() => false, { start_spark_install: () => ({ ...IDLE, state: "running", step: "createEnvironment" }) });
  const user = userEvent.setup();
  render(App);

  const card = await screen.findByRole("region", { name: "Set up Spark" });
  await user.click(within(card).getByRole("button", { name: "Install Spark 4.3.0" }));
  const offline = "cannot download pyspark from the package index (PyPI or the configured mirror; check the network): ERROR: …";
  await events.engineChanged.emit({ kind: "sparkInstallChanged", install: { ...IDLE, state: "failed", step: "download", error: offline } });
  expect(await within(card).findByRole("alert")).toHaveTextContent(offline);
  expect(within(card).getByRole("button", { name: "Install Spark 4.3.0" })).toBeEnabled();
  expect(within(card).queryByRole("progressbar")).not.toBeInTheDocument();
});

test("a picked folder that is not Spark is refused inline with the reason; a good one opens the Jobs page", async () => {
  let picks = 0;
  const refusal = "/home/me/photos has no bin/spark-submit: pick a Spark distribution (the folder with bin/ and jars/) or a Python virtualenv with pyspark";
  backend(() => false, {
    pick_spark_folder: () => (++picks === 1 ? refuse("invalid", refusal, "spark.folder") : { env: { ...ENV, source: "settings" }, error: null }),
  });
  const user = userEvent.setup();
  render(App);

  const card = await screen.findByRole("region", { name: "Set up Spark" });
  await user.click(within(card).getByRole("button", { name: "Use an existing Spark folder…" }));
  expect(await within(card).findByRole("alert")).toHaveTextContent(refusal);
  expect(screen.queryByRole("navigation", { name: "Main" })).not.toBeInTheDocument();
  await user.click(within(card).getByRole("button", { name: "Use an existing Spark folder…" }));
  expect(await screen.findByRole("heading", { level: 1, name: "Jobs" })).toBeInTheDocument();
});

test("a picked folder dialog that is cancelled changes nothing", async () => {
  backend(() => false, { pick_spark_folder: () => null });
  const user = userEvent.setup();
  render(App);

  const card = await screen.findByRole("region", { name: "Set up Spark" });
  await user.click(within(card).getByRole("button", { name: "Use an existing Spark folder…" }));
  await waitFor(() => expect(within(card).getByRole("button", { name: "Use an existing Spark folder…" })).toBeEnabled());
  expect(within(card).queryByRole("alert")).not.toBeInTheDocument();
  expect(screen.queryByRole("navigation", { name: "Main" })).not.toBeInTheDocument();
});
