import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { expect, test } from "vitest";
import type { Group_Serialize } from "../lib/bindings";
import { events } from "../lib/bindings";
import { argsOf, driver, group, mockBackend, pageOf } from "../test-fixtures";
import GroupPage from "./GroupPage.svelte";

function backend(start: Group_Serialize = group()) {
  const calls = mockBackend({
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
