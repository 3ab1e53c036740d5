import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { expect, test } from "vitest";
import { argsOf, mockBackend, refuse } from "../test-fixtures";
import SettingsPage from "./SettingsPage.svelte";

const ENV = {
  sparkHome: "/opt/spark",
  sparkSubmit: "/opt/spark/bin/spark-submit",
  sparkVersion: "3.5.1",
  java: "/usr/lib/jvm/java-17/bin/java",
  javaHome: "/usr/lib/jvm/java-17",
  javaVersion: "17.0.10",
  python: "/usr/bin/python3",
  driverDir: null,
  source: "sparkHome",
};

const IDLE = { state: "idle", step: null, bytesDone: null, bytesTotal: null, error: null, sparkDir: null };

const VIEW = {
  settings: { restServer: { enabled: true, port: 9888 }, livy: { enabled: false, port: 8998 }, jobDefaults: { clusterName: "default", language: "PYTHON", jobConfig: "spark.a=1" } },
  dataDir: "/home/me/.local/share/sparkdeck",
};

const RUNNING = {
  running: true,
  url: "http://127.0.0.1:9888/api/v1",
  token: "t0ken",
  error: null,
  livyUrl: "http://127.0.0.1:9888/livy",
  livyError: null,
};

function backend(
  status: unknown = { env: ENV, error: null },
  update: (args: any) => unknown = ({ settings }) => ({ ...VIEW, settings }),
  more: Record<string, (args: any) => unknown> = {},
) {
  return mockBackend({
    spark_status: () => status,
    spark_install_status: () => IDLE,
    get_settings: () => VIEW,
    rest_server_status: () => RUNNING,
    cluster_names: () => ["default", "prod"],
    update_settings: update,
    ...more,
  });
}

test("shows the Java and Spark that jobs run with, and the data directory", async () => {
  backend();
  render(SettingsPage);

  const spark = await screen.findByRole("region", { name: "Spark and Java" });
  await waitFor(() => expect(spark).toHaveTextContent("3.5.1"));
  expect(spark).toHaveTextContent("/opt/spark");
  expect(spark).toHaveTextContent("17.0.10");
  expect(spark).toHaveTextContent("/usr/lib/jvm/java-17/bin/java");
  expect(await screen.findByText(VIEW.dataDir)).toBeInTheDocument();
  expect(screen.getByText(RUNNING.url)).toBeInTheDocument();
});

test("missing Java or Spark is explained, and can be checked again", async () => {
  const missing = "Java 17+ is required but `java -version` did not run: install a JDK or set JAVA_HOME";
  const calls = backend({ env: null, error: missing });
  const user = userEvent.setup();
  render(SettingsPage);

  const spark = await screen.findByRole("region", { name: "Spark and Java" });
  expect(await within(spark).findByRole("alert")).toHaveTextContent(missing);
  expect(spark).toHaveTextContent(/restart it after setting them/);
  await user.click(within(spark).getByRole("button", { name: "Check again" }));
  expect(argsOf(calls, "spark_status")).toHaveLength(2);
});

test("saving sends the REST server and job defaults; a bad port is shown next to it", async () => {
  const calls = backend(undefined, () => refuse("invalid", "cannot listen on 127.0.0.1:80", "restServer.port"));
  const user = userEvent.setup();
  render(SettingsPage);

  const port = await screen.findByLabelText("Port");
  await user.clear(port);
  await user.type(port, "80");
  await user.selectOptions(screen.getByLabelText("Language"), "SCALA");
  await user.click(screen.getByRole("button", { name: "Save settings" }));

  expect(argsOf(calls, "update_settings")).toEqual([
    {
      settings: {
        restServer: { enabled: true, port: 80 },
        livy: { enabled: false, port: 8998 },
        jobDefaults: { clusterName: "default", language: "SCALA", jobConfig: "spark.a=1" },
      },
    },
  ]);
  await waitFor(() => expect(port).toHaveAccessibleDescription(expect.stringContaining("cannot listen on 127.0.0.1:80")));
  expect(port).toHaveFocus();
});

test("where Spark and Java come from is shown; a picked folder can be replaced or forgotten", async () => {
  let env: Record<string, unknown> = { ...ENV, source: "settings", sparkHome: "/opt/spark-4.0.1" };
  const calls = backend({ env, error: null }, undefined, {
    pick_spark_folder: () => refuse("invalid", "/opt/spark-3.4.1 is Spark 3.4.1; Sparkdeck needs Spark 3.5 or newer 3.x, or 4.x", "spark.folder"),
    use_spark_folder: () => {
      env = { ...ENV, source: "installed" };
      return { env, error: null };
    },
  });
  const user = userEvent.setup();
  render(SettingsPage);

  const spark = await screen.findByRole("region", { name: "Spark and Java" });
  await waitFor(() => expect(spark).toHaveTextContent("Spark fromthe folder you picked"));
  expect(spark).toHaveTextContent("Java fromJAVA_HOME (/usr/lib/jvm/java-17)");
  await user.click(within(spark).getByRole("button", { name: "Use another Spark folder…" }));
  expect(await within(spark).findByRole("alert")).toHaveTextContent("is Spark 3.4.1; Sparkdeck needs Spark 3.5");
  expect(within(spark).getByRole("button", { name: "Install Spark 4.3.0" })).toBeInTheDocument();
  await user.click(within(spark).getByRole("button", { name: "Forget the picked folder" }));
  expect(argsOf(calls, "use_spark_folder")).toEqual([{ folder: null }]);
  await waitFor(() => expect(spark).toHaveTextContent("Spark frominstalled by Sparkdeck"));
  expect(within(spark).queryByRole("button", { name: "Install Spark 4.3.0" })).not.toBeInTheDocument();
});

test("the Livy endpoint: its URLs, its own port saved like the other settings, and a sparkmagic config to copy", async () => {
  const calls = backend(undefined, () => refuse("invalid", "cannot listen on 127.0.0.1:22", "livy.port"));
  const user = userEvent.setup();
  render(SettingsPage);

  const livy = await screen.findByRole("group", { name: "Livy endpoint" });
  const urls = () => within(livy).getAllByRole("listitem").map((li) => li.textContent);
  expect(urls()).toEqual(["http://127.0.0.1:9888/livy"]);
  const config = () => JSON.parse(within(livy).getByLabelText(/sparkmagic/).textContent!);
  expect(config().kernel_python_credentials).toEqual({ url: "http://127.0.0.1:9888/livy", auth: "Basic_Access", username: "sparkdeck", password: "t0ken" });

  await user.click(within(livy).getByRole("checkbox", { name: /Also serve Livy on a port of its own/ }));
  const port = within(livy).getByLabelText("Livy port");
  expect(port).toHaveValue(8998);
  await user.clear(port);
  await user.type(port, "22");
  expect(urls()).toEqual(["http://127.0.0.1:9888/livy", "http://127.0.0.1:22"]);
  const apiPort = screen.getByLabelText("Port");
  await user.clear(apiPort);
  await user.type(apiPort, "9000");
  expect(urls()).toEqual(["http://127.0.0.1:9000/livy", "http://127.0.0.1:22"]);
  expect(config().kernel_scala_credentials.url).toBe("http://127.0.0.1:22");

  await user.click(within(livy).getByRole("button", { name: "Copy" }));
  expect(JSON.parse(await navigator.clipboard.readText())).toEqual(config());
  expect(within(livy).getByText("Configuration copied.")).toBeInTheDocument();
  expect(livy).toHaveTextContent(/Scala.s interpreter starts with the driver only when .*: about 3 s more to start \(up to 12 s on a busy machine\) and 160 MiB more memory/);

  await user.click(screen.getByRole("button", { name: "Save settings" }));
  expect(argsOf(calls, "update_settings").at(-1)!.settings.livy).toEqual({ enabled: true, port: 22 });
  expect(argsOf(calls, "update_settings").at(-1)!.settings.restServer).toEqual({ enabled: true, port: 9000 });
  await waitFor(() => expect(port).toHaveAccessibleDescription(expect.stringContaining("cannot listen on 127.0.0.1:22")));
});

test("the Livy section says where Livy is served now, or why its port is not", async () => {
  let status: Record<string, unknown> = { ...RUNNING, livyUrl: "http://127.0.0.1:8998" };
  backend(undefined, undefined, { rest_server_status: () => status });
  const { unmount } = render(SettingsPage);
  const livy = await screen.findByRole("group", { name: "Livy endpoint" });
  await waitFor(() => expect(within(livy).getByText("Serving")).toHaveClass("badge"));
  expect(document.getElementById("settings-livy-url")).toHaveTextContent("http://127.0.0.1:8998");
  unmount();

  status = { ...RUNNING, livyUrl: null, livyError: "cannot listen on 127.0.0.1:8998: address in use" };
  render(SettingsPage);
  const stopped = await screen.findByRole("group", { name: "Livy endpoint" });
  await waitFor(() => expect(within(stopped).getByText("Not served")).toBeInTheDocument());
  expect(stopped).toHaveTextContent("cannot listen on 127.0.0.1:8998: address in use");
});
