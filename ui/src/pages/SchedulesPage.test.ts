import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { expect, test } from "vitest";
import { events } from "../lib/bindings";
import { argsOf, job, mockBackend, pageOf, refuse, schedule } from "../test-fixtures";
import SchedulesPage from "./SchedulesPage.svelte";

const SETTINGS = {
  settings: { restServer: { enabled: false, port: 9888 }, livy: { enabled: false, port: 8998 }, jobDefaults: { clusterName: "default", language: "PYTHON", jobConfig: "" } },
  dataDir: "/data",
};

const ran = job({ jobId: "r-2", jobName: "nightly", scheduleId: "s-1", state: "FAILED", attempt: 2, maxRetries: 2 });
const nightly = schedule({ jobs: [ran, job({ jobId: "r-1", jobName: "nightly", scheduleId: "s-1" })] });
const hourly = schedule({ id: "s-2", name: "refresh", cron: "@hourly", state: "PAUSED", nextRunTimes: [] });

function backend(extra: Record<string, (args: any) => unknown> = {}) {
  return mockBackend({
    list_schedules: () => pageOf([nightly, hourly], 0, 25),
    cluster_names: () => ["default"],
    get_settings: () => SETTINGS,
    ...extra,
  });
}

const rowOf = async (name: string) => (await screen.findByRole("rowheader", { name })).closest("tr")!;

test("lists schedules with state, cron in words, next run and last run's state", async () => {
  const calls = backend();
  render(SchedulesPage);

  const row = await rowOf("nightly");
  expect(within(row).getByText("Enabled")).toHaveClass("badge", "tone-active");
  expect(within(row).getByText("every day at 02:00")).toHaveAttribute("title", "0 2 * * * (UTC)");
  expect(within(row).getByText("Failed")).toHaveClass("badge", "tone-danger");
  expect(within(row).getByRole("time")).toHaveAttribute("datetime", "2025-01-02T02:00:00.000Z");
  const paused = await rowOf("refresh");
  expect(within(paused).getByText("Paused")).toBeInTheDocument();
  expect(within(paused).getByText("every hour")).toBeInTheDocument();
  expect(within(paused).getByText("none yet")).toBeInTheDocument();
  // A paused schedule resumes or stops; it has nothing to pause.
  expect(within(paused).queryByRole("button", { name: "Pause refresh" })).not.toBeInTheDocument();
  expect(within(paused).getByRole("button", { name: "Resume refresh" })).toBeInTheDocument();
  expect(argsOf(calls, "list_schedules")[0].query).toEqual({
    states: [],
    search: null,
    page: { page: 0, size: 25, sort: [{ field: "name", direction: "asc" }] },
  });
});

test("pause, run now and delete go to the engine; a refusal is said on the page", async () => {
  const calls = backend({
    schedule_action: ({ action }) => (action === "pause" ? { ...nightly, state: "PAUSED" } : refuse("not_found", "no schedule 's-2'")),
    run_schedule_now: () => job({ jobId: "r-3", scheduleId: "s-1", state: "SUBMITTED" }),
    delete_schedule: () => null,
  });
  const user = userEvent.setup();
  render(SchedulesPage);
  await rowOf("nightly");

  await user.click(screen.getByRole("button", { name: "Pause nightly" }));
  expect(await screen.findByRole("status")).toHaveTextContent("“nightly” is paused.");
  await user.click(screen.getByRole("button", { name: "Run now nightly" }));
  await waitFor(() => expect(screen.getByRole("status")).toHaveTextContent("Started a run of “nightly”."));
  await user.click(screen.getByRole("button", { name: "Stop refresh" }));
  expect(await screen.findByRole("alert")).toHaveTextContent("Could not stop “refresh”: No schedule 's-2'");
  await user.click(screen.getByRole("button", { name: "Delete nightly" }));
  await user.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Delete" }));
  await waitFor(() => expect(screen.getByRole("status")).toHaveTextContent("Deleted schedule “nightly”."));

  expect(argsOf(calls, "schedule_action")).toEqual([
    { id: "s-1", action: "pause" },
    { id: "s-2", action: "stop" },
  ]);
  expect(argsOf(calls, "run_schedule_now")).toEqual([{ id: "s-1" }]);
  expect(argsOf(calls, "delete_schedule")).toEqual([{ id: "s-1" }]);
});

test("a row opens its runs with states, attempts and durations, kept current by its runs' events", async () => {
  let current = nightly;
  const calls = backend({ get_schedule: () => current, open_job_window: () => null });
  const user = userEvent.setup();
  render(SchedulesPage);
  await user.click(await rowOf("nightly"));

  const dialog = await screen.findByRole("dialog", { name: "Runs of “nightly”" });
  const runs = within(dialog).getByRole("table", { name: "Runs" });
  const rows = within(runs).getAllByRole("row").slice(1);
  expect(rows.map((row) => row.textContent)).toEqual([
    expect.stringMatching(/Failed2 of 3.*3m 05s/),
    expect.stringMatching(/Finished1.*3m 05s/),
  ]);
  expect(within(dialog).getByRole("figure", { name: /Last 2 ended jobs/ })).toBeInTheDocument();

  current = { ...nightly, jobs: [job({ jobId: "r-3", scheduleId: "s-1", state: "BUSY", endTime: 0 }), ...nightly.jobs] };
  await events.engineChanged.emit({ kind: "jobChanged", job: current.jobs[0] });
  await waitFor(() => expect(within(dialog).getAllByRole("row")).toHaveLength(4));
  expect(within(dialog).getByText("Busy")).toBeInTheDocument();

  await user.click(within(dialog).getAllByRole("button", { name: "Open job" })[0]);
  expect(argsOf(calls, "open_job_window")).toEqual([{ id: "r-3" }]);
  expect(argsOf(calls, "get_schedule")).toEqual([{ id: "s-1" }]);
});

test("a schedule's event, or its run's, re-queries the list", async () => {
  let content = [nightly];
  const calls = backend({ list_schedules: () => pageOf(content, 0, 25) });
  render(SchedulesPage);
  await rowOf("nightly");

  content = [nightly, hourly];
  await events.engineChanged.emit({ kind: "scheduleChanged", schedule: hourly });
  expect(await screen.findByRole("rowheader", { name: "refresh" })).toBeInTheDocument();
  content = [hourly];
  await events.engineChanged.emit({ kind: "jobChanged", job: ran });
  await waitFor(() => expect(screen.queryByRole("rowheader", { name: "nightly" })).not.toBeInTheDocument());
  expect(argsOf(calls, "list_schedules").length).toBeGreaterThanOrEqual(3);
});
