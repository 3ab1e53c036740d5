import { configure, render, screen, within } from "@testing-library/svelte";
import { afterEach, expect, test } from "vitest";
import { events } from "./lib/bindings";
import { clusterView, group, job, mockBackend, pageOf, schedule } from "./test-fixtures";
import App from "./App.svelte";

// Pages other than the first load on first navigation; under vitest that import also
// transforms the page's modules on demand, which can take longer than the default 1 s wait.
configure({ asyncUtilTimeout: 5000 });

afterEach(() => {
  location.hash = "";
});

test("the shell shows the brand, the navigation and the Clusters page", async () => {
  mockBackend({ list_clusters: () => pageOf([clusterView()]) });
  render(App);

  expect(await screen.findByText("Sparkdeck")).toBeInTheDocument();
  expect(screen.getByRole("link", { name: "Clusters" })).toHaveAttribute("aria-current", "page");
  expect(screen.getByRole("heading", { level: 1, name: "Clusters" })).toBeInTheDocument();
  expect(await screen.findByRole("rowheader", { name: "default" })).toBeInTheDocument();
});

test("the sidebar's links switch pages through the hash", async () => {
  mockBackend({
    list_clusters: () => pageOf([clusterView()]),
    list_jobs: () => pageOf([job()]),
    cluster_names: () => ["default"],
    get_settings: () => ({ settings: { restServer: { enabled: false, port: 9888 }, livy: { enabled: false, port: 8998 }, jobDefaults: { clusterName: "default", language: "PYTHON", jobConfig: "" } }, dataDir: "/d" }),
  });
  render(App);

  location.hash = "#/jobs";
  expect(await screen.findByRole("heading", { level: 1, name: "Jobs" })).toBeInTheDocument();
  expect(screen.getByRole("link", { name: "Jobs" })).toHaveAttribute("aria-current", "page");
  expect(screen.getByRole("link", { name: "Clusters" })).not.toHaveAttribute("aria-current");
});

const SPARK_ENV = {
  sparkHome: "/opt/spark",
  sparkSubmit: "/opt/spark/bin/spark-submit",
  sparkVersion: "4.3.0",
  java: "/usr/bin/java",
  javaHome: "/usr/lib/jvm/java-17",
  javaVersion: "17.0.10",
  python: "/usr/bin/python3",
  driverDir: null,
  source: "sparkHome",
};

test("the pages loaded on first navigation appear: Settings, then back to the first page", async () => {
  mockBackend({
    list_clusters: () => pageOf([clusterView()]),
    get_settings: () => ({ settings: { restServer: { enabled: false, port: 9888 }, livy: { enabled: false, port: 8998 }, jobDefaults: { clusterName: "default", language: "PYTHON", jobConfig: "" } }, dataDir: "/d" }),
    cluster_names: () => ["default"],
    rest_server_status: () => ({ running: false, url: null, token: null, error: null }),
    spark_status: () => ({ env: SPARK_ENV, error: null }),
    spark_install_status: () => ({ state: "idle", step: null, bytesDone: null, bytesTotal: null, error: null, sparkDir: null }),
  });
  render(App);

  location.hash = "#/settings";
  expect(await screen.findByRole("heading", { level: 1, name: "Settings" })).toBeInTheDocument();
  expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  location.hash = "#/clusters";
  expect(await screen.findByRole("heading", { level: 1, name: "Clusters" })).toBeInTheDocument();
});

test("a job's own window shows only that job", async () => {
  location.hash = "#/job/j-1";
  mockBackend({ get_job: () => job(), job_logs: () => [], follow_job_log: () => null });
  render(App);

  expect(await screen.findByRole("heading", { level: 1, name: "daily-etl" })).toBeInTheDocument();
  expect(screen.queryByRole("navigation", { name: "Main" })).not.toBeInTheDocument();
});

test("Schedules follows Jobs, Groups sits before Settings and lists the groups", async () => {
  mockBackend({
    list_clusters: () => pageOf([clusterView()]),
    list_groups: () => pageOf([group()]),
    cluster_names: () => ["default"],
    get_settings: () => ({ settings: { restServer: { enabled: false, port: 9888 }, livy: { enabled: false, port: 8998 }, jobDefaults: { clusterName: "default", language: "PYTHON", jobConfig: "" } }, dataDir: "/d" }),
  });
  render(App);

  await screen.findByRole("navigation", { name: "Main" });
  const links = screen.getAllByRole("link").map((link) => link.textContent);
  expect(links).toEqual(["Clusters", "Jobs", "Schedules", "Groups", "Settings"]);
  location.hash = "#/groups";
  expect(await screen.findByRole("heading", { level: 1, name: "Groups" })).toBeInTheDocument();
  expect(await screen.findByRole("rowheader", { name: "scoring" })).toBeInTheDocument();
});

test("a group's own window shows only that group", async () => {
  location.hash = "#/group/g-1";
  mockBackend({ get_group: () => group(), list_group_results: () => pageOf([]) });
  render(App);

  expect(await screen.findByRole("heading", { level: 1, name: "scoring" })).toBeInTheDocument();
  expect(screen.queryByRole("navigation", { name: "Main" })).not.toBeInTheDocument();
});

test("Schedules is routed and lists the schedules", async () => {
  mockBackend({
    list_clusters: () => pageOf([clusterView()]),
    list_schedules: () => pageOf([schedule()]),
    cluster_names: () => ["default"],
    get_settings: () => ({ settings: { restServer: { enabled: false, port: 9888 }, livy: { enabled: false, port: 8998 }, jobDefaults: { clusterName: "default", language: "PYTHON", jobConfig: "" } }, dataDir: "/d" }),
  });
  location.hash = "#/schedules";
  render(App);

  expect(await screen.findByRole("heading", { level: 1, name: "Schedules" })).toBeInTheDocument();
  expect(await screen.findByRole("rowheader", { name: "nightly" })).toBeInTheDocument();
  expect(screen.getByRole("link", { name: "Schedules" })).toHaveAttribute("aria-current", "page");
});

/** What the Clusters and Jobs pages (and the job form) ask for. */
function clustersAndJobs() {
  mockBackend({
    list_clusters: () => pageOf([clusterView()]),
    list_jobs: () => pageOf([job()]),
    cluster_names: () => ["default"],
    get_settings: () => ({ settings: { restServer: { enabled: false, port: 9888 }, livy: { enabled: false, port: 8998 }, jobDefaults: { clusterName: "default", language: "PYTHON", jobConfig: "" } }, dataDir: "/d" }),
  });
}

test("a script given to a second start of the app opens the Jobs page's submit form with it", async () => {
  clustersAndJobs();
  render(App);
  await screen.findByRole("rowheader", { name: "default" });

  await events.filesOpened.emit(["/home/me/word_count.py"]);

  expect(await screen.findByRole("heading", { level: 1, name: "Jobs" })).toBeInTheDocument();
  const dialog = await screen.findByRole("dialog", { name: "Submit job" });
  expect(within(dialog).getByLabelText("Name")).toHaveValue("word_count");
  expect(within(dialog).getByRole("list", { name: "Python files" })).toHaveTextContent("word_count.py");
});

test("files of a second start that hold no script or jar say so instead of opening the form", async () => {
  clustersAndJobs();
  render(App);
  await screen.findByRole("rowheader", { name: "default" });

  await events.filesOpened.emit(["/home/me/notes.txt"]);

  expect(await screen.findByText(/opens a PySpark script \(.py\) or a jar as a job/)).toBeInTheDocument();
  expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
});
