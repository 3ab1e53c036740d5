import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { afterEach, expect, test, vi } from "vitest";
import { events, type JobLog } from "../lib/bindings";
import { argsOf, job, mockBackend, refuse } from "../test-fixtures";
import JobPage from "./JobPage.svelte";

const running = job({ state: "BUSY", endTime: 0 });
const TOTALS: Record<string, number> = { "driver-stdout": 30_000, "driver-stderr": 3 };
const line = (name: string, n: number) => `${name.slice(7)} line ${n}`;

/** Both driver logs: stdout has 30,000 lines ("stdout line 1" …), stderr three. */
function logs({ from, size }: Record<string, any>): JobLog[] {
  return Object.entries(TOTALS).map(([name, total]) => {
    const lines = Array.from({ length: Math.max(0, Math.min(total, from + size) - from) }, (_, i) => line(name, from + i + 1));
    return { name, type: "stdout", role: "driver", state: "BUSY", from, logSize: lines.length, totalLines: total, fileName: name, log: lines, truncated: false, rotatedLines: 0 };
  });
}

function backend(state = running, overrides: Record<string, (args: Record<string, any>) => unknown> = {}) {
  const channels: Record<string, { onmessage: (lines: string[]) => void }> = {};
  const calls = mockBackend({
    get_job: () => state,
    job_logs: logs,
    follow_job_log: ({ resource, onLines }) => {
      channels[resource] = onLines;
      return null;
    },
    stop_job: () => ({ ...state, state: "CANCELED", endTime: Date.now() }),
    resubmit_job: () => job({ jobId: "j-new" }),
    open_job_window: () => null,
    delete_job: () => null,
    "plugin:window|close": () => null,
    ...overrides,
  });
  return { calls, channels, user: userEvent.setup() };
}

const logView = () => document.getElementById("job-log")!;
const rows = () => logView().querySelectorAll(".log-line");

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

test("the header shows the job, its state, cluster and app id", async () => {
  backend();
  render(JobPage, { id: "j-1" });

  expect(await screen.findByRole("heading", { level: 1, name: "daily-etl" })).toBeInTheDocument();
  expect(document.getElementById("job-state")).toHaveTextContent("Busy");
  expect(screen.getByText("local-1700000000000")).toBeInTheDocument();
  expect(screen.getByRole("list", { name: "Timeline" })).toHaveTextContent(/Submitted.*waited 3s.*Started.*running/);
  expect(screen.getByRole("button", { name: "Stop" })).toBeInTheDocument();
});

test("the last 25,000 lines are read, followed from there, and only a window of them is in the DOM", async () => {
  const { calls, channels } = backend();
  render(JobPage, { id: "j-1" });

  expect(await screen.findByText("stdout line 30000")).toBeInTheDocument();
  expect(argsOf(calls, "job_logs")).toEqual([
    { id: "j-1", from: 0, size: 0 },
    { id: "j-1", from: 5000, size: 25_000 },
    { id: "j-1", from: 0, size: 25_000 },
  ]);
  expect(argsOf(calls, "follow_job_log").map(({ resource, from }) => [resource, from])).toEqual([
    ["driver-stdout", 30_000],
    ["driver-stderr", 3],
  ]);
  expect(rows().length).toBeGreaterThan(10);
  expect(rows().length).toBeLessThan(100);
  expect(within(logView()).getByText("30000")).toHaveClass("log-gutter");

  channels["driver-stdout"].onmessage(["stdout line 30001", "stdout line 30002"]);
  expect(await screen.findByText("stdout line 30002")).toBeInTheDocument();
  expect(screen.getByRole("tab", { name: /Driver stdout/ })).toHaveTextContent("30,002");
  expect(rows().length).toBeLessThan(100);
});

test("search highlights matches and jumps between them", async () => {
  const { user } = backend();
  render(JobPage, { id: "j-1" });
  await screen.findByText("stdout line 30000");

  await user.type(screen.getByLabelText("Search the log"), "LINE 1234");

  expect(screen.getByText("1 of 10")).toBeInTheDocument();
  const current = () => logView().querySelector(".log-line.current")!;
  expect(current()).toHaveTextContent("stdout line 12340");
  expect(current().querySelector("mark")).toHaveTextContent("line 1234");
  expect(screen.getByRole("checkbox", { name: "Follow" })).not.toBeChecked();

  await user.click(screen.getByRole("button", { name: "Next" }));
  expect(current()).toHaveTextContent("stdout line 12341");
  await user.click(screen.getByRole("button", { name: "Previous" }));
  await user.click(screen.getByRole("button", { name: "Previous" }));
  expect(screen.getByText("10 of 10")).toBeInTheDocument();
  expect(current()).toHaveTextContent("stdout line 12349");
  await user.click(screen.getByLabelText("Search the log"));
  await user.keyboard("{Enter}");
  expect(screen.getByText("1 of 10")).toBeInTheDocument();
  await user.keyboard("{Shift>}{Enter}{/Shift}");
  expect(screen.getByText("10 of 10")).toBeInTheDocument();
  expect(rows().length).toBeLessThan(100);
});

test("jumps, tabs and copy", async () => {
  const { user } = backend();
  render(JobPage, { id: "j-1" });
  await screen.findByText("stdout line 30000");

  await user.click(screen.getByRole("button", { name: "Jump to start" }));
  expect(screen.getByText("stdout line 5001")).toBeInTheDocument();
  expect(screen.queryByText("stdout line 30000")).not.toBeInTheDocument();
  await user.click(screen.getByRole("button", { name: "Copy visible" }));
  expect((await navigator.clipboard.readText()).split("\n")[0]).toBe("stdout line 5001");
  await user.click(screen.getByRole("button", { name: "Jump to end" }));
  expect(screen.getByText("stdout line 30000")).toBeInTheDocument();
  await user.click(screen.getByRole("button", { name: "Copy all" }));
  expect(await screen.findByText("Copied 25,000 lines.")).toBeInTheDocument();
  expect((await navigator.clipboard.readText()).split("\n")).toHaveLength(25_000);

  await user.click(screen.getByRole("tab", { name: /Driver stderr/ }));
  expect(screen.getByRole("tab", { name: /Driver stderr/ })).toHaveAttribute("aria-selected", "true");
  expect(screen.getByText("stderr line 3")).toBeInTheDocument();
});

test("Stop and Resubmit call their commands; the new job opens in its window", async () => {
  const { calls, user } = backend();
  render(JobPage, { id: "j-1" });

  await user.click(await screen.findByRole("button", { name: "Stop" }));
  expect(argsOf(calls, "stop_job")).toEqual([{ id: "j-1" }]);
  await waitFor(() => expect(document.getElementById("job-state")).toHaveTextContent("Canceled"));
  expect(screen.queryByRole("button", { name: "Stop" })).not.toBeInTheDocument();

  await user.click(screen.getByRole("button", { name: "Resubmit" }));
  expect(argsOf(calls, "resubmit_job")).toEqual([{ id: "j-1" }]);
  await waitFor(() => expect(argsOf(calls, "open_job_window")).toEqual([{ id: "j-new" }]));
});

test("a resubmit refused for want of Java says so; Settings are in the main window", async () => {
  location.hash = "#/job/j-1";
  const message = "Java 17+ is required but `java -version` did not run: install a JDK or set JAVA_HOME";
  const { user } = backend(running, { resubmit_job: () => refuse("unavailable", message) });
  render(JobPage, { id: "j-1" });

  await user.click(await screen.findByRole("button", { name: "Resubmit" }));
  const notice = await screen.findByRole("alert");
  expect(notice).toHaveTextContent("Java is not available on this machine");
  expect(notice).toHaveTextContent("Java 17+ is required but `java -version` did not run");
  expect(notice).toHaveTextContent("Settings in the main window show the Java and Spark Sparkdeck found.");
  location.hash = "";
});

test("Delete asks first, then closes the window", async () => {
  const { calls, user } = backend();
  render(JobPage, { id: "j-1" });

  await user.click(await screen.findByRole("button", { name: "Delete" }));
  const dialog = screen.getByRole("alertdialog", { name: /Delete job “daily-etl”/ });
  await user.click(within(dialog).getByRole("button", { name: "Delete" }));

  expect(argsOf(calls, "delete_job")).toEqual([{ id: "j-1" }]);
  await waitFor(() => expect(calls.some((c) => c.cmd === "plugin:window|close")).toBe(true));
});

test("state changes arrive live; an ended job notifies when the window is in the background", async () => {
  const shown = vi.fn();
  vi.stubGlobal(
    "Notification",
    class {
      static permission = "granted";
      constructor(title: string, options: NotificationOptions) {
        shown(title, options);
      }
    },
  );
  vi.spyOn(document, "hasFocus").mockReturnValue(false);
  backend();
  render(JobPage, { id: "j-1" });
  await screen.findByRole("button", { name: "Stop" });

  await events.engineChanged.emit({ kind: "jobChanged", job: job({ jobId: "j-other", state: "FAILED" }) });
  await events.engineChanged.emit({ kind: "jobChanged", job: { ...running, state: "FAILED", error: "OOM", endTime: Date.now() } });

  await waitFor(() => expect(document.getElementById("job-state")).toHaveTextContent("Failed"));
  expect(screen.getByRole("alert")).toHaveTextContent(/The job failed.*OOM/);
  expect(screen.queryByRole("button", { name: "Stop" })).not.toBeInTheDocument();
  expect(shown).toHaveBeenCalledOnce();
  expect(shown).toHaveBeenCalledWith("daily-etl: failed", { body: "OOM" });
});

test("a failed job with a known cause says it in plain words, with what to change", async () => {
  const cause = { kind: "DRIVER_OUT_OF_MEMORY" as const, summary: "the driver ran out of memory (Java heap space)", hint: "Raise driverMemory." };
  backend(job({ state: "FAILED", error: "java.lang.OutOfMemoryError: Java heap space", errorCause: cause }));
  render(JobPage, { id: "j-1" });

  const alert = await screen.findByRole("alert");
  expect(within(alert).getByText("Driver out of memory:")).toBeInTheDocument();
  expect(alert).toHaveTextContent("the driver ran out of memory (Java heap space)");
  expect(alert).toHaveTextContent("Raise driverMemory.");
  expect(alert).toHaveTextContent("java.lang.OutOfMemoryError: Java heap space");
  expect(alert).not.toHaveTextContent("The job failed.");
});

test("Spark UI is enabled once the job has a live UI and asks the backend to open it by job id", async () => {
  const { calls, user } = backend(running, { open_spark_ui: () => null });
  render(JobPage, { id: "j-1" });
  const button = await screen.findByRole("button", { name: "Spark UI" });
  expect(button).toBeDisabled();

  await events.engineChanged.emit({ kind: "jobChanged", job: { ...running, sparkUiUrl: "http://127.0.0.1:41234" } });
  await waitFor(() => expect(button).toBeEnabled());
  await user.click(button);
  expect(argsOf(calls, "open_spark_ui")).toEqual([{ jobId: "j-1" }]);

  await events.engineChanged.emit({ kind: "jobChanged", job: { ...running, state: "FINISHED", sparkUiUrl: null, appId: null } });
  await waitFor(() => expect(button).toBeDisabled());
});

test("an ended run's Spark UI button opens its History Server page, asked by job id", async () => {
  const { calls, user } = backend(job({ state: "FINISHED", appId: "local-1", sparkUiUrl: null }), { open_spark_ui: () => null });
  render(JobPage, { id: "j-1" });
  const button = await screen.findByRole("button", { name: "Spark UI" });
  expect(button).toBeEnabled();
  expect(button).toHaveAttribute("title", "Open this run in Spark's History Server");
  await user.click(button);
  expect(argsOf(calls, "open_spark_ui")).toEqual([{ jobId: "j-1" }]);
});

test("a run that ended before Spark started has no Spark UI to open", async () => {
  backend(job({ state: "FAILED", appId: null, sparkUiUrl: null }));
  render(JobPage, { id: "j-1" });
  const button = await screen.findByRole("button", { name: "Spark UI" });
  expect(button).toBeDisabled();
  expect(button).toHaveAttribute("title", "The job ended before it started a Spark application");
});

test("a Spark UI the backend cannot open says why", async () => {
  const message = "job 'daily-etl' has no live Spark UI: it has ended (FINISHED)";
  const { user } = backend({ ...running, sparkUiUrl: "http://127.0.0.1:41234" }, { open_spark_ui: () => refuse("conflict", message) });
  render(JobPage, { id: "j-1" });
  await user.click(await screen.findByRole("button", { name: "Spark UI" }));
  expect(await screen.findByRole("alert")).toHaveTextContent("Job 'daily-etl' has no live Spark UI: it has ended (FINISHED)");
});

test("the Stages tab shows the job's stages while its logs stay open behind", async () => {
  const { calls, user } = backend(job(), {
    job_stages: () => ({
      stages: [{ stageId: 0, attemptId: 0, name: "count at main.py:3", status: "COMPLETE", numTasks: 2, completedTasks: 2, failedTasks: 0,
        submissionTime: 1, completionTime: 2001, durationMs: 2000, inputBytes: 0, outputBytes: 0, shuffleReadBytes: 0, shuffleWriteBytes: 0,
        memorySpilledBytes: 0, diskSpilledBytes: 0, executorRunTimeMs: 0, jvmGcTimeMs: 0, taskDurationMs: null, failureReason: null }],
      source: "EVENT_LOG",
      message: null,
    }),
  });
  render(JobPage, { id: "j-1" });
  expect(await screen.findByText("stdout line 30000")).toBeInTheDocument();
  expect(argsOf(calls, "job_stages")).toEqual([]);

  await user.click(screen.getByRole("tab", { name: "Stages" }));
  expect(await screen.findByText("count at main.py:3")).toBeInTheDocument();
  expect(screen.getByRole("tab", { name: "Stages" })).toHaveAttribute("aria-selected", "true");
  expect(logView()).not.toBeVisible();
  await user.click(screen.getByRole("tab", { name: "Logs" }));
  expect(logView()).toBeVisible();
  expect(screen.getByText("stdout line 30000")).toBeInTheDocument();
});
