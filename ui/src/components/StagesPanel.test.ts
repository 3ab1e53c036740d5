import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { afterEach, expect, test, vi } from "vitest";
import type { JobComparison_Serialize, StageSummary_Serialize } from "../lib/bindings";
import { argsOf, job, mockBackend } from "../test-fixtures";
import StagesPanel from "./StagesPanel.svelte";

const T = Date.UTC(2025, 0, 1, 9, 0, 5);

function stage(fields: Partial<StageSummary_Serialize>): StageSummary_Serialize {
  return {
    stageId: 0, attemptId: 0, name: "reduceByKey at main.py:7", status: "COMPLETE", numTasks: 4, completedTasks: 4, failedTasks: 0,
    submissionTime: T, completionTime: T + 4000, durationMs: 4000, inputBytes: 0, outputBytes: 0, shuffleReadBytes: 0,
    shuffleWriteBytes: 2048, memorySpilledBytes: 0, diskSpilledBytes: 0, executorRunTimeMs: 3000, jvmGcTimeMs: 20,
    taskDurationMs: { min: 900, median: 1000, max: 1100 }, failureReason: null, ...fields,
  };
}

const STAGES = [
  stage({}),
  // The slowest task took 8× the median: skew. It spilled too.
  stage({ stageId: 1, name: "join at /data/jobs/j-1/pyfiles/main.py:9", submissionTime: T + 4000, completionTime: T + 12000, durationMs: 8000,
    shuffleWriteBytes: 0, shuffleReadBytes: 2048, memorySpilledBytes: 5 << 20, diskSpilledBytes: 1 << 20,
    taskDurationMs: { min: 500, median: 1000, max: 8000 } }),
  stage({ stageId: 2, name: "collect at main.py:10", status: "SKIPPED", submissionTime: 0, completionTime: 0, durationMs: 0, taskDurationMs: null }),
];

const COMPARISON: JobComparison_Serialize = {
  jobId: "j-1", otherJobId: "j-0", durationMs: 185_000, otherDurationMs: 60_000, deltaMs: 125_000, inputBytes: 1 << 30, otherInputBytes: 1 << 20,
  stages: [
    { name: "reduceByKey at main.py:7", stageId: 0, otherStageId: 0, durationMs: 4000, otherDurationMs: 3000, deltaMs: 1000, inputBytes: 0, otherInputBytes: 0 },
    { name: "join at main.py:9", stageId: 1, otherStageId: 1, durationMs: 8000, otherDurationMs: 2000, deltaMs: 6000, inputBytes: 0, otherInputBytes: 0 },
  ],
  slowestStage: "join at main.py:9",
  configDiffs: [{ key: "spark.sql.shuffle.partitions", value: "8", otherValue: null }],
  args: ["big"], otherArgs: ["small"],
};

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

test("an ended job's stages: bars on a timeline, the table, skew and spill marked", async () => {
  const calls = mockBackend({ job_stages: () => ({ stages: STAGES, source: "EVENT_LOG", message: "2 lines of the event log are not Spark events" }) });
  render(StagesPanel, { job: job() });

  expect(await screen.findByText("3 stages, from the event log")).toBeInTheDocument();
  expect(screen.getByRole("alert")).toHaveTextContent("2 lines of the event log are not Spark events");
  const bars = within(screen.getByRole("list", { name: "Stage timeline" })).getAllByRole("listitem");
  expect(bars).toHaveLength(2); // the skipped stage never ran
  const [first, second] = bars.map((b) => b.querySelector<HTMLElement>(".bar")!);
  expect(first.style.left).toBe("0%");
  expect(second.style.left).toMatch(/^33\.3/);
  expect(second).toHaveClass("skewed");

  const rows = document.querySelectorAll("tr.stage-row");
  expect(rows).toHaveLength(3);
  expect(rows[0]).not.toHaveClass("skewed");
  expect(rows[0].querySelector(".shuffle")).toHaveTextContent("0 / 2.0 KiB");
  expect(rows[1].querySelector(".shuffle")).toHaveTextContent("2.0 KiB / 0");
  expect(rows[1]).toHaveClass("skewed");
  expect(rows[1]).toHaveClass("spilled");
  expect(within(rows[1] as HTMLElement).getByText("skew")).toBeInTheDocument();
  expect(within(rows[1] as HTMLElement).getByText("spill")).toBeInTheDocument();
  expect(rows[1]).toHaveTextContent("5.0 MiB / 1.0 MiB");
  expect(rows[2]).toHaveTextContent("skipped");
  expect(rows[1].querySelector(".stage-name")).toHaveTextContent(/^join at main\.py:9$/);
  expect(rows[1].querySelector(".stage-name")).toHaveAttribute("title", "join at /data/jobs/j-1/pyfiles/main.py:9");
  expect(argsOf(calls, "job_stages")).toEqual([{ id: "j-1" }]);
});

test("a running job's stages are asked for again every two seconds, live", async () => {
  vi.useFakeTimers({ shouldAdvanceTime: true });
  const calls = mockBackend({ job_stages: () => ({ stages: STAGES.slice(0, 1), source: "LIVE", message: null }) });
  render(StagesPanel, { job: job({ state: "BUSY", endTime: 0 }) });
  expect(await screen.findByText("1 stages, live from the running application")).toBeInTheDocument();
  const before = argsOf(calls, "job_stages").length;
  await vi.advanceTimersByTimeAsync(4100);
  await waitFor(() => expect(argsOf(calls, "job_stages").length).toBeGreaterThanOrEqual(before + 2));
});

test("compare with the previous run names the stage that grew and the settings that differ", async () => {
  const calls = mockBackend({
    job_stages: () => ({ stages: STAGES, source: "EVENT_LOG", message: null }),
    previous_run: () => job({ jobId: "j-0" }),
    compare_jobs: () => COMPARISON,
  });
  const user = userEvent.setup();
  render(StagesPanel, { job: job() });
  await user.click(await screen.findByRole("button", { name: "Compare with previous run" }));

  const view = await screen.findByRole("region", { name: "Comparison with the previous run" });
  expect(argsOf(calls, "compare_jobs")).toEqual([{ id: "j-1", otherId: "j-0" }]);
  expect(view).toHaveTextContent("This run took 3m 05s, the previous one 1m 00s (+2m 05s)");
  expect(within(view).getByText("join at main.py:9", { selector: ".slowest" })).toBeInTheDocument();
  expect(view.querySelector("tr.grew")).toHaveTextContent("join at main.py:9");
  expect(view).toHaveTextContent("spark.sql.shuffle.partitions: 8 (was unset)");
  expect(view).toHaveTextContent("big / small");
});

test("without an earlier run there is nothing to compare, and it says so", async () => {
  const calls = mockBackend({ job_stages: () => ({ stages: [], source: "NONE", message: null }), previous_run: () => null });
  const user = userEvent.setup();
  render(StagesPanel, { job: job({ startTime: 0, endTime: 0, state: "FAILED" }) });
  expect(await screen.findByText("The job has not started: no stages yet.")).toBeInTheDocument();
  await user.click(screen.getByRole("button", { name: "Compare with previous run" }));
  expect(await screen.findByText(/no earlier ended run/)).toBeInTheDocument();
  expect(argsOf(calls, "compare_jobs")).toEqual([]);
});
