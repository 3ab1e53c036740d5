import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { expect, test } from "vitest";
import type { Group_Serialize } from "../lib/bindings";
import { events } from "../lib/bindings";
import { argsOf, driver, group, mockBackend, pageOf, refuse } from "../test-fixtures";
import GroupPage from "./GroupPage.svelte";

function backend(start: Group_Serialize = group(), extra: Parameters<typeof mockBackend>[0] = {}) {
  const calls = mockBackend({
    ...extra,
    get_group: () => start,
    list_group_results: () => pageOf([]),
    rescale_group: ({ scale }) => ({ ...start, scale }),
    group_action: ({ action }) => ({ ...start, paused: action === "pause", state: action === "stop" ? "ARCHIVED" : "ACTIVE" }),
    delete_group: () => null,
    open_job_window: () => null,
    "plugin:window|close": () => null,
  });
  return { calls, user: userEvent.setup() };
}

const badge = (jobId: string) => document.getElementById(`driver-state-${jobId}`);
const scaleStatus = () => document.getElementById("scale-status");

test("the header shows the group, and its drivers with state, app id and start", async () => {
  backend();
  render(GroupPage, { id: "g-1" });

  expect(await screen.findByRole("heading", { level: 1, name: "scoring" })).toBeInTheDocument();
  expect(document.getElementById("group-state")).toHaveTextContent("Active");
  expect(screen.getByText("Job classes")).toBeInTheDocument();
  expect(screen.getByText("Scores orders")).toBeInTheDocument();
  const drivers = within(screen.getByRole("list", { name: "Drivers" })).getAllByRole("listitem");
  expect(drivers.map((d) => d.dataset.driverId)).toEqual(["d-2", "d-1"]);
  expect(badge("d-1")).toHaveTextContent("Ready");
  expect(within(drivers[1]).getByText("local-d-1")).toBeInTheDocument();
  expect(within(drivers[1]).getByText(/started/)).toBeInTheDocument();
  expect(scaleStatus()).toHaveTextContent("2/2 ready");
  expect(screen.getByLabelText("Job class")).toBeInTheDocument();
  expect(screen.queryByLabelText("Code")).not.toBeInTheDocument();
  expect(screen.queryByText("Livy session")).not.toBeInTheDocument();
});

test("a Livy session's window says it is one", async () => {
  backend(group({ kind: "CODE", tags: { livy: "session" } }));
  render(GroupPage, { id: "g-1" });
  await screen.findByRole("heading", { level: 1, name: "scoring" });
  expect(screen.getByText("Livy session")).toHaveAttribute("title", expect.stringContaining("Deleting the session there"));
});

test("drivers change live from job events; other groups' are ignored", async () => {
  backend();
  render(GroupPage, { id: "g-1" });
  await screen.findByRole("list", { name: "Drivers" });

  await events.engineChanged.emit({ kind: "jobChanged", job: { ...driver("d-7", "FAILED"), groupId: "g-2" } });
  await events.engineChanged.emit({ kind: "jobChanged", job: driver("d-1", "BUSY") });
  await events.engineChanged.emit({ kind: "jobChanged", job: { ...driver("d-2", "FAILED"), error: "OOM" } });
  await events.engineChanged.emit({ kind: "jobChanged", job: driver("d-3", "STARTING") });

  await waitFor(() => expect(badge("d-3")).toHaveTextContent("Starting"));
  expect(badge("d-1")).toHaveTextContent("Busy");
  expect(badge("d-7")).toBeNull();
  expect(screen.getByText("Ended drivers (1)")).toBeInTheDocument();
  expect(screen.getByText("OOM")).toBeInTheDocument();
  expect(scaleStatus()).toHaveTextContent("scaling 1 → 2");
});

test("the scale stepper rescales the group and says when drivers are following", async () => {
  const { calls, user } = backend();
  render(GroupPage, { id: "g-1" });
  const value = await screen.findByRole("spinbutton", { name: "Scale" });
  expect(value).toHaveValue(2);

  await user.click(screen.getByRole("button", { name: "One driver more" }));

  expect(argsOf(calls, "rescale_group")).toEqual([{ id: "g-1", scale: 3 }]);
  await waitFor(() => expect(scaleStatus()).toHaveTextContent("scaling 2 → 3"));
  expect(value).toHaveValue(3);

  await user.click(screen.getByRole("button", { name: "One driver fewer" }));
  await user.click(screen.getByRole("button", { name: "One driver fewer" }));
  await waitFor(() => expect(argsOf(calls, "rescale_group").map((a) => a.scale)).toEqual([3, 2, 1]));
  await waitFor(() => expect(value).toHaveValue(1));

  await user.clear(value);
  await user.type(value, "16{Enter}");
  await waitFor(() => expect(argsOf(calls, "rescale_group").at(-1)).toEqual({ id: "g-1", scale: 16 }));
  expect(screen.getByRole("button", { name: "One driver more" })).toBeDisabled();
});

test("Pause, Resume and Stop call their actions; the state follows", async () => {
  const { calls, user } = backend();
  render(GroupPage, { id: "g-1" });

  await user.click(await screen.findByRole("button", { name: "Pause" }));
  await waitFor(() => expect(document.getElementById("group-state")).toHaveTextContent("Active paused"));
  expect(scaleStatus()).toHaveTextContent("Paused");
  await user.click(screen.getByRole("button", { name: "Resume" }));
  await user.click(await screen.findByRole("button", { name: "Stop and archive" }));

  expect(argsOf(calls, "group_action")).toEqual([
    { id: "g-1", action: "pause" },
    { id: "g-1", action: "resume" },
    { id: "g-1", action: "stop" },
  ]);
  await waitFor(() => expect(document.getElementById("group-state")).toHaveTextContent("Archived"));
  expect(screen.queryByRole("button", { name: "Pause" })).not.toBeInTheDocument();
});

test("Delete asks first, then closes the window", async () => {
  const { calls, user } = backend();
  render(GroupPage, { id: "g-1" });

  await user.click(await screen.findByRole("button", { name: "Delete" }));
  const dialog = screen.getByRole("alertdialog", { name: /Delete group “scoring”/ });
  await user.click(within(dialog).getByRole("button", { name: "Delete" }));

  expect(argsOf(calls, "delete_group")).toEqual([{ id: "g-1" }]);
  await waitFor(() => expect(calls.some((c) => c.cmd === "plugin:window|close")).toBe(true));
});

test("a code group shows the console; a group deleted elsewhere says so", async () => {
  backend(group({ kind: "CODE" }));
  render(GroupPage, { id: "g-1" });

  expect(await screen.findByLabelText("Code")).toBeInTheDocument();
  expect(screen.queryByLabelText("Job class")).not.toBeInTheDocument();
  await events.engineChanged.emit({ kind: "groupDeleted", id: "g-1", name: "scoring" });
  expect(await screen.findByText("This group was deleted.")).toBeInTheDocument();
  expect(screen.getByRole("button", { name: "Restart" })).toBeDisabled();
});

test("settings are edited in a dialog: cleared fields are sent empty and the window shows the saved group", async () => {
  const start = group({ jobConfig: { "spark.sql.shuffle.partitions": "8" }, pyRequirements: ["six==1.16.0"] });
  const { calls, user } = backend(start, { update_group: updateAnswer(start) });
  render(GroupPage, { id: "g-1" });
  await user.click(await screen.findByRole("button", { name: "Edit settings" }));

  const dialog = screen.getByRole("dialog", { name: /Settings of/ });
  expect(within(dialog).getByLabelText("Description")).toHaveValue("Scores orders");
  await user.clear(within(dialog).getByLabelText("Description"));
  await user.type(within(dialog).getByLabelText("Description"), "Scores every order");
  await user.clear(within(dialog).getByLabelText("Value 1"));
  await user.type(within(dialog).getByLabelText("Value 1"), "16");
  await user.click(within(dialog).getByRole("button", { name: /Remove tag/ }));
  await user.clear(within(dialog).getByLabelText("pip requirements"));
  await user.type(within(dialog).getByLabelText("pip requirements"), "six==1.16.0{Enter}attrs");
  await user.click(within(dialog).getByRole("button", { name: "Save settings" }));

  expect(argsOf(calls, "update_group")).toEqual([
    {
      id: "g-1",
      form: {
        description: "Scores every order",
        tags: "",
        jobConfig: "spark.sql.shuffle.partitions=16",
        pyRequirements: "six==1.16.0;attrs",
      },
    },
  ]);
  await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
  expect(screen.getByText("Scores every order")).toBeInTheDocument();
  expect(screen.getByText("spark.sql.shuffle.partitions=16")).toBeInTheDocument();
});

test("a refused setting shows next to its input and the dialog stays open", async () => {
  const { user } = backend(group(), { update_group: updateAnswer(group(), "jobConfig") });
  render(GroupPage, { id: "g-1" });
  await user.click(await screen.findByRole("button", { name: "Edit settings" }));
  const dialog = screen.getByRole("dialog", { name: /Settings of/ });
  await user.click(within(dialog).getByRole("button", { name: "Add property" }));
  await user.keyboard("spark.bad");
  await user.click(within(dialog).getByRole("button", { name: "Save settings" }));

  expect(await within(dialog).findByText("entry 'spark.bad' has no '='")).toBeInTheDocument();
  expect(screen.getByRole("dialog", { name: /Settings of/ })).toBeInTheDocument();
});

/** Answers update_group with the form applied, or refuses the named field. */
function updateAnswer(start: Group_Serialize, refuseField?: string) {
  const pairs = (text: string) => Object.fromEntries(text.split(";").filter(Boolean).map((e) => e.split("=")));
  return ({ form }: Record<string, any>) =>
    refuseField
      ? refuse("invalid", "entry 'spark.bad' has no '='", refuseField)
      : {
          ...start,
          description: form.description,
          tags: pairs(form.tags),
          jobConfig: pairs(form.jobConfig),
          pyRequirements: form.pyRequirements ? form.pyRequirements.split(";") : [],
        };
}

test("the settings dialog sends only the resources that changed, and autoPause when toggled", async () => {
  const start = group({ memorySettings: { executorMemory: "2g", executors: 2 }, packages: "a:b:1" });
  const { calls, user } = backend(start, { update_group: updateAnswer(start) });
  render(GroupPage, { id: "g-1" });
  await user.click(await screen.findByRole("button", { name: "Edit settings" }));
  const dialog = screen.getByRole("dialog", { name: /Settings of/ });

  await user.click(within(dialog).getByText(/^Resources/));
  expect(within(dialog).getByLabelText("Executor memory")).toHaveValue("2g");
  await user.clear(within(dialog).getByLabelText("Executors"));
  await user.type(within(dialog).getByLabelText("Driver memory"), "1g");
  await user.click(within(dialog).getByLabelText(/Pause when idle/));
  await user.click(within(dialog).getByRole("button", { name: "Save settings" }));

  const { form } = argsOf(calls, "update_group")[0];
  expect(form).toMatchObject({ executors: "", driverMemory: "1g", autoPause: true });
  expect(form).not.toHaveProperty("executorMemory");
  expect(form).not.toHaveProperty("packages");
});

test("a running driver with a live UI opens its Spark UI by its job id; one without has the button disabled", async () => {
  const withUi = group({ jobs: [{ ...driver("d-2", "READY"), sparkUiUrl: "http://127.0.0.1:41235" }, driver("d-1", "READY")] });
  const { calls, user } = backend(withUi, { open_spark_ui: () => null });
  render(GroupPage, { id: "g-1" });
  const drivers = within(await screen.findByRole("list", { name: "Drivers" })).getAllByRole("listitem");
  expect(within(drivers[1]).getByRole("button", { name: /Spark UI of driver/ })).toBeDisabled();
  await user.click(within(drivers[0]).getByRole("button", { name: /Spark UI of driver/ }));
  expect(argsOf(calls, "open_spark_ui")).toEqual([{ jobId: "d-2" }]);
});
