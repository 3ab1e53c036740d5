import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { expect, test, vi } from "vitest";
import { BUILT_IN_DEFAULTS } from "../lib/jobForm";
import { argsOf, mockBackend, refuse, schedule } from "../test-fixtures";
import ScheduleForm from "./ScheduleForm.svelte";

const HOUR = 3_600_000;
const FIRST = Date.UTC(2026, 0, 2, 2, 0, 0);

/** The engine's preview: hourly times for a valid cron, its message for the month 13. */
function previewCron({ cron }: Record<string, any>) {
  if (cron.split(" ")[3] === "13") return refuse("invalid", "the month field '13' is not valid: out of range", "cron");
  return [0, 1, 2, 3, 4].map((i) => FIRST + i * HOUR);
}

function renderForm(props: Partial<{ paths: string[]; schedule: ReturnType<typeof schedule> }> = {}) {
  const onsaved = vi.fn();
  const oncancel = vi.fn();
  render(ScheduleForm, { defaults: BUILT_IN_DEFAULTS, onsaved, oncancel, ...props });
  return { onsaved, oncancel, user: userEvent.setup() };
}

test("the next runs show as the cron is typed, and the schedule is sent with its job", async () => {
  const calls = mockBackend({ cluster_names: () => ["default"], preview_cron: previewCron, create_schedule: () => schedule() });
  const { user, onsaved } = renderForm({ paths: ["/w/nightly.py"] });

  expect(screen.getByLabelText("Name")).toHaveValue("nightly");
  await user.type(screen.getByLabelText("Cron"), "0 2 * * *");
  const next = await screen.findByRole("list", { name: "Next runs" });
  expect(within(next).getAllByRole("listitem")).toHaveLength(5);
  expect(within(next).getAllByRole("time")[0]).toHaveAttribute("datetime", new Date(FIRST).toISOString());
  expect(screen.getByText(/Runs every day at 02:00/)).toBeInTheDocument();
  // Debounced: the last text typed is what is asked about.
  expect(argsOf(calls, "preview_cron").at(-1)).toEqual({ cron: "0 2 * * *", timeZone: "" });
  await user.type(screen.getByLabelText("Time zone"), "Europe/Warsaw");
  await user.click(screen.getByRole("radio", { name: /Queue/ }));
  await user.click(screen.getByRole("radio", { name: /^None/ }));
  await user.click(screen.getByText("Resources"));
  await user.type(screen.getByLabelText("Retries"), "2");
  await user.type(screen.getByLabelText("Driver memory"), "1g");
  await user.click(screen.getByRole("button", { name: "Create schedule" }));

  expect(argsOf(calls, "create_schedule")[0].form).toEqual({
    name: "nightly",
    language: "PYTHON",
    clusterName: "default",
    cron: "0 2 * * *",
    timeZone: "Europe/Warsaw",
    overlapPolicy: "QUEUE",
    catchUp: "NONE",
    maxRetries: "2",
    driverMemory: "1g",
    jars: [],
    pyFiles: ["/w/nightly.py"],
    files: [],
  });
  expect(onsaved).toHaveBeenCalled();
});

test("a cron the engine cannot read is explained at the input as it is typed, and the next runs go", async () => {
  mockBackend({ cluster_names: () => ["default"], preview_cron: previewCron });
  const { user } = renderForm({ paths: ["/w/nightly.py"] });
  const cron = screen.getByLabelText("Cron");

  await user.type(cron, "0 2 * 12 *");
  await screen.findByRole("list", { name: "Next runs" });
  await user.clear(cron);
  await user.type(cron, "0 2 * 13 *");

  await waitFor(() => expect(cron).toHaveAttribute("aria-invalid", "true"));
  expect(cron).toHaveAccessibleDescription(expect.stringContaining("the month field '13' is not valid"));
  expect(screen.queryByRole("list", { name: "Next runs" })).not.toBeInTheDocument();
});

test("without a cron nothing is sent; an end before the start is said at the end", async () => {
  const calls = mockBackend({ cluster_names: () => ["default"], preview_cron: previewCron, create_schedule: () => schedule() });
  const { user } = renderForm({ paths: ["/w/nightly.py"] });

  await user.click(screen.getByRole("button", { name: "Create schedule" }));
  const cron = screen.getByLabelText("Cron");
  await waitFor(() => expect(cron).toHaveAttribute("aria-invalid", "true"));
  expect(cron).toHaveFocus();

  await user.type(cron, "@daily");
  await user.type(screen.getByLabelText("Start"), "2026-02-01T00:00");
  await user.type(screen.getByLabelText("End"), "2026-01-01T00:00");
  await user.click(screen.getByRole("button", { name: "Create schedule" }));
  await waitFor(() => expect(screen.getByLabelText("End")).toHaveAccessibleDescription(expect.stringContaining("is before the start")));
  expect(argsOf(calls, "create_schedule")).toEqual([]);
});

test("the engine's refusal lands at its field", async () => {
  mockBackend({
    cluster_names: () => ["default"],
    preview_cron: previewCron,
    create_schedule: () => refuse("invalid", "is taken by another schedule", "name"),
  });
  const { user, onsaved } = renderForm({ paths: ["/w/nightly.py"] });
  await user.type(screen.getByLabelText("Cron"), "@hourly");
  await user.click(screen.getByRole("button", { name: "Create schedule" }));

  const name = screen.getByLabelText("Name");
  await waitFor(() => expect(name).toHaveAttribute("aria-invalid", "true"));
  expect(name).toHaveAccessibleDescription(expect.stringContaining("is taken by another schedule"));
  expect(onsaved).not.toHaveBeenCalled();
});

test("editing keeps the files and sends each field, an emptied one cleared", async () => {
  const stored = schedule({ maxRetries: 1, memorySettings: { executorMemory: "2g" }, packages: "a:b:1", tags: { team: "data" } });
  const calls = mockBackend({ cluster_names: () => ["default"], preview_cron: previewCron, update_schedule: () => stored });
  const { user } = renderForm({ schedule: stored });

  expect(screen.queryByRole("button", { name: "Add Python files…" })).not.toBeInTheDocument();
  expect(screen.getByLabelText("Cron")).toHaveValue("0 2 * * *");
  await user.clear(screen.getByLabelText("Cron"));
  await user.type(screen.getByLabelText("Cron"), "30 3 * * *");
  await user.click(screen.getByText(/^Resources/));
  await user.clear(screen.getByLabelText("Executor memory"));
  await user.click(screen.getByRole("button", { name: "Save schedule" }));

  const { id, form } = argsOf(calls, "update_schedule")[0];
  expect(id).toBe("s-1");
  expect(form).toMatchObject({
    cron: "30 3 * * *",
    timeZone: "UTC",
    executorMemory: "",
    packages: "a:b:1",
    maxRetries: "1",
    tags: "team=data",
    jobConfig: "",
    startTime: "",
    endTime: "",
  });
  expect(form.jars).toBeUndefined();
});
