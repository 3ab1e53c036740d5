import { render, screen, within } from "@testing-library/svelte";
import { expect, test } from "vitest";
import { job } from "../test-fixtures";
import JobTable from "./JobTable.svelte";

test("a run slower than usual is marked in its duration, with the usual one in the hint", () => {
  const jobs = [
    job({ jobId: "j-slow", slowerThanUsual: true, usualDurationMs: 60_000 }),
    job({ jobId: "j-usual", slowerThanUsual: false, usualDurationMs: 180_000 }),
  ];
  render(JobTable, { jobs, sort: { field: "submitTime", direction: "desc" }, onsort: () => {}, onopen: () => {} });
  const [slow, usual] = ["j-slow", "j-usual"].map((id) => document.querySelector<HTMLElement>(`[data-job-id="${id}"]`)!);
  const mark = within(slow).getByText("slower than usual");
  expect(mark).toHaveAttribute("title", expect.stringContaining("(1m 00s)"));
  expect(within(usual).queryByText("slower than usual")).toBeNull();
  expect(screen.getAllByText("3m 05s")).toHaveLength(2);
});
