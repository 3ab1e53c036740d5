import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { expect, test } from "vitest";
import { argsOf, instance, mockBackend, refuse } from "../test-fixtures";
import ExecuteForm from "./ExecuteForm.svelte";

function renderForm(run: (args: Record<string, any>) => unknown) {
  const calls = mockBackend({ run_group_request: run });
  render(ExecuteForm, { groupId: "g-1", language: "PYTHON" });
  return { calls, user: userEvent.setup() };
}

const config = () => screen.getByLabelText("Config (JSON)");

test("a config that is not a JSON object is pointed out and not sent", async () => {
  const { calls, user } = renderForm(() => instance());
  await user.type(screen.getByLabelText("Job class"), "jobs.Score");

  await user.type(config(), '{{"rows": 10,}');
  await user.click(screen.getByRole("button", { name: "Execute" }));

  expect(config()).toHaveAttribute("aria-invalid", "true");
  expect(config()).toHaveAccessibleDescription(expect.stringContaining("Not valid JSON"));
  expect(config()).toHaveFocus();
  expect(document.getElementById("group-job-config-error")).toHaveTextContent(/Not valid JSON: .+/);

  await user.clear(config());
  await user.type(config(), "[[1, 2]");
  await user.click(screen.getByRole("button", { name: "Submit" }));
  expect(document.getElementById("group-job-config-error")).toHaveTextContent("must be a JSON object");
  expect(argsOf(calls, "run_group_request")).toEqual([]);
});

test("Execute sends the class and config, waits, and shows the result", async () => {
  const { calls, user } = renderForm(() => instance());
  await user.type(screen.getByLabelText("Job class"), " jobs.Score ");
  await user.type(config(), '{{"rows": 10, "tags": [["a"]}');

  await user.click(screen.getByRole("button", { name: "Execute" }));

  expect(argsOf(calls, "run_group_request")).toEqual([
    {
      id: "g-1",
      request: { type: "interactive_job_execute", jobClass: "jobs.Score", jobConfig: { rows: 10, tags: ["a"] } },
      wait: true,
    },
  ]);
  await waitFor(() => expect(document.getElementById("group-last-result-text")).toHaveTextContent("scored 10 rows"));
  const result = screen.getByRole("region", { name: "Result" });
  expect(within(result).getByText("Finished")).toBeInTheDocument();
  expect(within(result).getByText("took 12 ms")).toBeInTheDocument();
  expect(config()).not.toHaveAttribute("aria-invalid");
});

test("a failed job shows its message, with the stack trace to unfold", async () => {
  const failed = instance({
    state: "FAILED",
    result: null,
    error: { message: "ZeroDivisionError: division by zero", stackTrace: 'Traceback (most recent call last):\n  File "jobs.py", line 3' },
  });
  const { user } = renderForm(() => failed);
  await user.type(screen.getByLabelText("Job class"), "jobs.Score");

  await user.click(screen.getByRole("button", { name: "Execute" }));

  expect(await screen.findByText("ZeroDivisionError: division by zero")).toBeInTheDocument();
  const trace = screen.getByText("Stack trace");
  const details = trace.closest("details")!;
  expect(details).not.toHaveAttribute("open");
  await user.click(trace);
  expect(details).toHaveAttribute("open");
  expect(within(details).getByText(/line 3/)).toBeVisible();
});

test("Submit queues without waiting; a refusal lands next to its input", async () => {
  let answer = (): unknown => instance({ state: "SUBMITTED", startTime: 0, endTime: 0, result: null });
  const { calls, user } = renderForm(() => answer());

  await user.click(screen.getByRole("button", { name: "Submit" }));
  expect(argsOf(calls, "run_group_request")[0]).toMatchObject({ wait: false, request: { jobConfig: {} } });
  expect(await screen.findByText(/Submitted: the result will appear under Results/)).toBeInTheDocument();

  answer = () => refuse("invalid", "is required", "jobClass");
  await user.click(screen.getByRole("button", { name: "Execute" }));
  const jobClass = screen.getByLabelText("Job class");
  await waitFor(() => expect(jobClass).toHaveAccessibleDescription(expect.stringContaining("is required")));
  expect(jobClass).toHaveFocus();

  answer = () => refuse("conflict", "is paused", "state");
  await user.click(screen.getByRole("button", { name: "Execute" }));
  expect(await screen.findByRole("alert")).toHaveTextContent("State is paused");
});
