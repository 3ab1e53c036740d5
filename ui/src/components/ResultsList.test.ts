import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { expect, test } from "vitest";
import { events } from "../lib/bindings";
import { argsOf, instance, mockBackend, pageOf } from "../test-fixtures";
import ResultsList from "./ResultsList.svelte";

const done = instance();
const running = instance({ jobInstanceId: "i-2", state: "BUSY", result: null, endTime: 0, startTime: Date.now() - 1500 });
const queued = instance({
  jobInstanceId: "i-3",
  jobId: null,
  type: "interactive_code_execute",
  jobClass: null,
  code: "df = spark.range(10)\ndf.count()",
  state: "SUBMITTED",
  result: null,
  startTime: 0,
  endTime: 0,
});
const failed = instance({
  jobInstanceId: "i-4",
  state: "FAILED",
  result: null,
  error: { message: "KeyError: 'rows'", stackTrace: "Traceback …\nKeyError: 'rows'" },
});

function backend(list: () => unknown = () => pageOf([queued, running, done, failed])) {
  const calls = mockBackend({
    list_group_results: list,
    cancel_group_request: ({ instanceId }) => ({ ...running, jobInstanceId: instanceId, state: "CANCELED", endTime: Date.now() }),
  });
  render(ResultsList, { groupId: "g-1" });
  return { calls, user: userEvent.setup() };
}

const item = (id: string) => document.querySelector<HTMLElement>(`li[data-instance-id='${id}']`)!;

test("lists the group's requests newest first, with state, what ran, duration and output", async () => {
  const { calls } = backend();

  await screen.findByRole("list", { name: "Results" });
  expect(argsOf(calls, "list_group_results")[0]).toEqual({
    id: "g-1",
    search: null,
    page: { page: 0, size: 10, sort: [{ field: "submitTime", direction: "desc" }] },
  });
  expect(within(item("i-1")).getByText("Finished")).toBeInTheDocument();
  expect(within(item("i-1")).getByText("jobs.Score")).toBeInTheDocument();
  expect(within(item("i-1")).getByText("12 ms")).toBeInTheDocument();
  expect(within(item("i-1")).getByText("scored 10 rows")).toHaveClass("result-text");
  expect(within(item("i-2")).getByText(/^1s$|^2s$/)).toBeInTheDocument();
  expect(within(item("i-3")).getByText("df = spark.range(10) …")).toBeInTheDocument();
  expect(within(item("i-3")).getByText("queued")).toBeInTheDocument();
  expect(within(item("i-4")).getByText("KeyError: 'rows'", { selector: "p" })).toBeInTheDocument();
  expect(within(item("i-4")).getByText("Stack trace")).toBeInTheDocument();
  expect(within(item("i-1")).queryByRole("button", { name: /Cancel/ })).not.toBeInTheDocument();
  expect(within(item("i-4")).queryByRole("button", { name: /Cancel/ })).not.toBeInTheDocument();
});

test("Cancel on a queued or running request cancels it", async () => {
  const { calls, user } = backend();
  await screen.findByRole("list", { name: "Results" });

  await user.click(within(item("i-2")).getByRole("button", { name: "Cancel jobs.Score" }));

  expect(argsOf(calls, "cancel_group_request")).toEqual([{ id: "g-1", instanceId: "i-2" }]);
  await waitFor(() => expect(within(item("i-2")).getByText("Canceled")).toBeInTheDocument());
  expect(within(item("i-2")).queryByRole("button", { name: /Cancel/ })).not.toBeInTheDocument();
  expect(within(item("i-3")).getByRole("button", { name: /Cancel df = spark.range/ })).toBeInTheDocument();
});

test("changes to this group's requests re-query the page, once for a burst", async () => {
  let content = [done];
  const { calls } = backend(() => pageOf(content));
  await screen.findByRole("list", { name: "Results" });
  const before = argsOf(calls, "list_group_results").length;

  const extra = { groupName: "scoring", clusterName: "default", tags: {} };
  await events.engineChanged.emit({ kind: "jobInstanceChanged", instance: { ...failed, groupId: "g-9" }, ...extra });
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(argsOf(calls, "list_group_results")).toHaveLength(before);

  content = [failed, done];
  await events.engineChanged.emit({ kind: "jobInstanceChanged", instance: { ...failed, state: "BUSY" }, ...extra });
  await events.engineChanged.emit({ kind: "jobInstanceChanged", instance: failed, ...extra });

  await waitFor(() => expect(item("i-4")).toBeInTheDocument());
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(argsOf(calls, "list_group_results")).toHaveLength(before + 1);
});

test("search is sent to the backend; no request yet is explained", async () => {
  const { calls, user } = backend(() => pageOf([]));

  expect(await screen.findByText(/No requests yet/)).toBeInTheDocument();
  await user.type(screen.getByLabelText("Search results"), "Score");

  await waitFor(() => expect(argsOf(calls, "list_group_results").at(-1)!.search).toBe("Score"));
  expect(await screen.findByText("No request matches the search.")).toBeInTheDocument();
});
