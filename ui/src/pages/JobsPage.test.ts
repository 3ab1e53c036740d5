import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { expect, test } from "vitest";
import { events } from "../lib/bindings";
import { RECENT } from "../lib/jobQuery";
import { argsOf, dropFiles, job, mockBackend, pageOf, type Call } from "../test-fixtures";
import JobsPage from "./JobsPage.svelte";

const etl = job();
const failed = job({
  jobId: "j-2",
  jobName: "broken",
  state: "FAILED",
  error: "boom",
  errorCause: { kind: "MISSING_INPUT", summary: "the input path /data/in.csv does not exist", hint: "Check the path." },
  tags: {},
  startTime: 0,
});
const running = job({ jobId: "j-3", jobName: "stream", state: "BUSY", endTime: 0, language: "SCALA" });

const SETTINGS = {
  settings: { restServer: { enabled: false, port: 9888 }, livy: { enabled: false, port: 8998 }, jobDefaults: { clusterName: "default", language: "PYTHON", jobConfig: "" } },
  dataDir: "/data",
};

/** The table's queries; the chart's (the last ended jobs) are told apart by their size. */
const tableQueries = (calls: Call[]) => argsOf(calls, "list_jobs").map((a) => a.query).filter((q) => q.page.size !== RECENT);
const lastQuery = (calls: Call[]) => tableQueries(calls).at(-1);

function backend(list: (query: any) => unknown = () => pageOf([etl, failed, running], 0, 25)) {
  return mockBackend({
    list_jobs: ({ query }) => (query.page.size === RECENT ? pageOf([etl, failed]) : list(query)),
    cluster_names: () => ["default", "prod"],
    get_settings: () => SETTINGS,
    open_job_window: () => null,
  });
}

test("lists jobs with state, cluster, language, tags and duration, newest first", async () => {
  const calls = backend();
  render(JobsPage);

  const row = (await screen.findByRole("rowheader", { name: "daily-etl" })).closest("tr")!;
  expect(within(row).getByText("Finished")).toHaveClass("badge", "tone-ok");
  expect(within(row).getByText("Python")).toBeInTheDocument();
  expect(within(row).getByText("team=data")).toBeInTheDocument();
  expect(within(row).getByText("3m 05s")).toBeInTheDocument();
  const broken = screen.getByRole("rowheader", { name: "broken" }).closest("tr")!;
  expect(within(broken).getByText("Missing input")).toHaveAttribute("title", "the input path /data/in.csv does not exist");
  expect(within(row).queryByText("Missing input")).not.toBeInTheDocument();
  const stream = screen.getByRole("rowheader", { name: "stream" }).closest("tr")!;
  expect(within(stream).getByText("JVM")).toBeInTheDocument();
  expect(lastQuery(calls)).toEqual({
    jobTypes: [],
    states: [],
    clusterNames: [],
    tags: {},
    search: null,
    page: { page: 0, size: 25, sort: [{ field: "submitTime", direction: "desc" }] },
  });
  expect(screen.getByRole("columnheader", { name: /Submitted/ })).toHaveAttribute("aria-sort", "descending");
});

test("the chart shows the recent ended jobs, with a text alternative", async () => {
  const calls = backend();
  render(JobsPage);

  const chart = await screen.findByRole("figure", { name: /Last 2 ended jobs/ });
  // Oldest first, as the bars run.
  expect(within(chart).getAllByRole("listitem").map((item) => item.textContent)).toEqual([
    "broken: failed before starting",
    "daily-etl: finished after 3m 05s",
  ]);
  expect(chart.querySelectorAll("rect.tone-danger")).toHaveLength(1);
  const recent = argsOf(calls, "list_jobs").find((a) => a.query.page.size === RECENT)!.query;
  expect([...recent.states].sort()).toEqual(["CANCELED", "FAILED", "FINISHED", "UNKNOWN"]);
  expect(recent.page.sort).toEqual([{ field: "endTime", direction: "desc" }]);
});

test("filters, search, sort and paging are passed to the backend", async () => {
  const calls = backend((query) => pageOf([etl], query.page.page, 25, 60));
  const user = userEvent.setup();
  render(JobsPage);
  await screen.findByRole("rowheader", { name: "daily-etl" });

  await user.click(screen.getByRole("button", { name: "Next" }));
  await waitFor(() => expect(lastQuery(calls).page.page).toBe(1));

  await user.click(screen.getByRole("checkbox", { name: "Failed" }));
  await user.click(screen.getByRole("checkbox", { name: "Canceled" }));
  await user.selectOptions(screen.getByLabelText("Type"), "SINGLE");
  await user.selectOptions(screen.getByLabelText("Cluster"), "prod");
  await user.type(screen.getByLabelText("Tag key 1"), "team");
  await user.type(screen.getByLabelText("Tag value 1"), "data");
  await user.click(screen.getByRole("button", { name: "Add tag" }));
  await user.type(screen.getByLabelText("Tag key 2"), " env ");
  await user.type(screen.getByLabelText("Tag value 2"), "prod");
  await user.type(screen.getByLabelText("Search jobs"), "etl");
  await user.click(screen.getByRole("button", { name: /Name/ }));

  await waitFor(() =>
    expect(lastQuery(calls)).toEqual({
      jobTypes: ["SINGLE"],
      states: ["FAILED", "CANCELED"],
      clusterNames: ["prod"],
      tags: { team: "data", env: "prod" },
      search: "etl",
      page: { page: 0, size: 25, sort: [{ field: "jobName", direction: "asc" }] },
    }),
  );
  await user.click(screen.getByRole("button", { name: /Name/ }));
  await waitFor(() => expect(lastQuery(calls).page.sort).toEqual([{ field: "jobName", direction: "desc" }]));
});

test("a tag without a key is explained, not sent; a blank or removed row is no tag", async () => {
  const calls = backend();
  const user = userEvent.setup();
  render(JobsPage);
  await screen.findByRole("rowheader", { name: "daily-etl" });
  const before = tableQueries(calls).length;

  await user.type(screen.getByLabelText("Tag value 1"), "data");

  expect(screen.getByLabelText("Tag key 1")).toHaveAttribute("aria-invalid", "true");
  expect(screen.getByLabelText("Tag key 1")).toHaveAccessibleDescription(expect.stringContaining("Give each tag a key"));
  expect(screen.getByRole("group", { name: "Tags" })).toBeInTheDocument();
  expect(tableQueries(calls)).toHaveLength(before);

  await user.type(screen.getByLabelText("Tag key 1"), "team");
  await waitFor(() => expect(lastQuery(calls).tags).toEqual({ team: "data" }));
  await user.click(screen.getByRole("button", { name: "Add tag" }));
  expect(screen.getByLabelText("Tag key 2")).toHaveFocus();
  await user.click(screen.getByRole("button", { name: "Remove tag 1" }));
  await waitFor(() => expect(lastQuery(calls).tags).toEqual({}));
  expect(screen.queryByRole("button", { name: /Remove tag/ })).not.toBeInTheDocument();
});

test("a burst of job events is one re-query of the current page", async () => {
  let content = [etl];
  const calls = backend(() => pageOf(content, 0, 25));
  render(JobsPage);
  await screen.findByRole("rowheader", { name: "daily-etl" });
  const before = tableQueries(calls).length;

  content = [running, etl];
  await events.engineChanged.emit({ kind: "jobChanged", job: running });
  await events.engineChanged.emit({ kind: "jobChanged", job: { ...running, state: "STARTING" } });
  await events.engineChanged.emit({ kind: "jobDeleted", id: "j-9" });
  await events.engineChanged.emit({ kind: "clusterDeleted", id: "c", name: "old" });

  expect(await screen.findByRole("rowheader", { name: "stream" })).toBeInTheDocument();
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(tableQueries(calls)).toHaveLength(before + 1);
});

test("clicking a row, or Enter on it, opens the job's window", async () => {
  const calls = backend();
  const user = userEvent.setup();
  render(JobsPage);

  await user.click(await screen.findByRole("rowheader", { name: "broken" }));
  screen.getByRole("rowheader", { name: "stream" }).closest("tr")!.focus();
  await user.keyboard("{Enter}");

  expect(argsOf(calls, "open_job_window")).toEqual([{ id: "j-2" }, { id: "j-3" }]);
});

test("a new user is told how to submit a first job", async () => {
  backend(() => pageOf([], 0, 25));
  const user = userEvent.setup();
  render(JobsPage);

  expect(await screen.findByRole("heading", { name: "No jobs yet" })).toBeInTheDocument();
  expect(screen.getByText(/PySpark script/)).toBeInTheDocument();
  const [, emptyStateButton] = screen.getAllByRole("button", { name: "Submit job" });
  await user.click(emptyStateButton);
  expect(screen.getByRole("dialog", { name: "Submit job" })).toBeInTheDocument();
});

test("a script dropped on the page opens the submit form with it", async () => {
  backend();
  render(JobsPage);
  await screen.findByRole("rowheader", { name: "daily-etl" });

  await dropFiles(["/home/me/word_count.py", "/home/me/words.txt"]);

  const dialog = await screen.findByRole("dialog", { name: "Submit job" });
  expect(within(dialog).getByLabelText("Name")).toHaveValue("word_count");
  expect(within(dialog).getByRole("radio", { name: /Python/ })).toBeChecked();
  expect(within(dialog).getByRole("list", { name: "Python files" })).toHaveTextContent("word_count.py");
  expect(within(dialog).getByRole("list", { name: "Other files" })).toHaveTextContent("words.txt");
});

test("a drop without a script or jar does not open the form", async () => {
  backend();
  render(JobsPage);
  await screen.findByRole("rowheader", { name: "daily-etl" });

  await dropFiles(["/home/me/words.txt"]);

  expect(await screen.findByText(/Drop a PySpark script \(.py\) or a jar to submit it as a job/)).toBeInTheDocument();
  expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
});
