import { expect, test } from "vitest";
import { job, schedule } from "../test-fixtures";
import { concernsSchedules, scheduleActions } from "./schedules";

test("the list follows schedules and their runs, not other jobs or clusters", () => {
  expect(concernsSchedules({ kind: "scheduleChanged", schedule: schedule() })).toBe(true);
  expect(concernsSchedules({ kind: "scheduleDeleted", id: "s-1", name: "nightly" })).toBe(true);
  expect(concernsSchedules({ kind: "jobChanged", job: job({ scheduleId: "s-1" }) })).toBe(true);
  expect(concernsSchedules({ kind: "jobChanged", job: job({ scheduleId: null }) })).toBe(false);
  expect(concernsSchedules({ kind: "clusterDeleted", id: "c", name: "old" })).toBe(false);
});

test("each state has the buttons that change it", () => {
  expect(scheduleActions("ENABLED")).toEqual(["pause", "stop"]);
  expect(scheduleActions("PAUSED")).toEqual(["resume", "stop"]);
  expect(scheduleActions("DISABLED")).toEqual(["resume"]);
});
