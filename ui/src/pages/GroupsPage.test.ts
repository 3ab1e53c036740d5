import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { expect, test } from "vitest";
import { events } from "../lib/bindings";
import { argsOf, driver, group, job, mockBackend, pageOf, type Call } from "../test-fixtures";
import GroupsPage from "./GroupsPage.svelte";

const scoring = group();
const repl = group({
  id: "g-2",
  name: "repl",
  kind: "CODE",
  scale: 2,
  paused: true,
  tags: {},
  jobs: [{ ...driver("d-9", "FINISHED"), groupId: "g-2" }],
});

const SETTINGS = {
  settings: { restServer: { enabled: false, port: 9888 }, livy: { enabled: false, port: 8998 }, jobDefaults: { clusterName: "default", language: "PYTHON", jobConfig: "" } },
  dataDir: "/data",
};

const queries = (calls: Call[]) => argsOf(calls, "list_groups").map((a) => a.query);
const lastQuery = (calls: Call[]) => queries(calls).at(-1);

function backend(list: (query: any) => unknown = () => pageOf([scoring, repl], 0, 25)) {
  return mockBackend({
    list_groups: ({ query }) => list(query),
    cluster_names: () => ["default", "prod"],
    get_settings: () => SETTINGS,
    open_group_window: () => null,
  });
}

test("lists groups with kind, language, cluster, state, ready drivers, tags and creation", async () => {
  const calls = backend();
  render(GroupsPage);

  const row = (await screen.findByRole("rowheader", { name: "scoring" })).closest("tr")!;
  expect(row).toHaveAttribute("data-group-id", "g-1");
  expect(within(row).getByText("Job classes")).toBeInTheDocument();
  expect(within(row).getByText("Python")).toBeInTheDocument();
  expect(within(row).getByText("Active")).toHaveClass("badge", "tone-active");
  expect(within(row).getByText("2/2 ready")).toBeInTheDocument();
  expect(within(row).getByText("team=data")).toBeInTheDocument();
  const paused = screen.getByRole("rowheader", { name: "repl" }).closest("tr")!;
  expect(within(paused).getByText("Code")).toBeInTheDocument();
  expect(within(paused).getByText("Python")).toBeInTheDocument();
  expect(within(paused).getByText("paused")).toBeInTheDocument();
  expect(within(paused).getByText("0/2 ready")).toBeInTheDocument();
  expect(lastQuery(calls)).toEqual({
    states: [],
    kinds: [],
    clusterNames: [],
    tags: {},
    search: null,
    page: { page: 0, size: 25, sort: [{ field: "createdTime", direction: "desc" }] },
  });
  expect(screen.getByRole("columnheader", { name: /Created/ })).toHaveAttribute("aria-sort", "descending");
});

test("filters, search, sort and paging are passed to the backend", async () => {
  const calls = backend((query) => pageOf([scoring], query.page.page, 25, 60));
  const user = userEvent.setup();
  render(GroupsPage);
  await screen.findByRole("rowheader", { name: "scoring" });

  await user.click(screen.getByRole("button", { name: "Next" }));
  await waitFor(() => expect(lastQuery(calls).page.page).toBe(1));

  await user.selectOptions(screen.getByLabelText("State"), "ARCHIVED");
  await user.selectOptions(screen.getByLabelText("Kind"), "CODE");
  await user.selectOptions(screen.getByLabelText("Cluster"), "prod");
  await user.type(screen.getByLabelText("Tag key 1"), "team");
  await user.type(screen.getByLabelText("Tag value 1"), "data");
  await user.type(screen.getByLabelText("Search groups"), "sco");
  await user.click(screen.getByRole("button", { name: /Name/ }));

  await waitFor(() =>
    expect(lastQuery(calls)).toEqual({
      states: ["ARCHIVED"],
      kinds: ["CODE"],
      clusterNames: ["prod"],
      tags: { team: "data" },
      search: "sco",
      page: { page: 0, size: 25, sort: [{ field: "name", direction: "asc" }] },
    }),
  );
  await user.click(screen.getByRole("button", { name: /Name/ }));
  await waitFor(() => expect(lastQuery(calls).page.sort).toEqual([{ field: "name", direction: "desc" }]));
});

test("a burst of group and driver events is one re-query; other jobs are ignored", async () => {
  let content = [scoring];
  const calls = backend(() => pageOf(content, 0, 25));
  render(GroupsPage);
  await screen.findByRole("rowheader", { name: "scoring" });
  const before = queries(calls).length;

  await events.engineChanged.emit({ kind: "jobChanged", job: job({ jobId: "j-other" }) });
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(queries(calls)).toHaveLength(before);

  content = [repl, { ...scoring, jobs: [driver("d-2", "BUSY"), driver("d-1", "STARTING")] }];
  await events.engineChanged.emit({ kind: "groupChanged", group: repl });
  await events.engineChanged.emit({ kind: "jobChanged", job: driver("d-1", "STARTING") });
  await events.engineChanged.emit({ kind: "jobDeleted", id: "d-2" });
  await events.engineChanged.emit({ kind: "groupDeleted", id: "g-3", name: "old" });

  expect(await screen.findByRole("rowheader", { name: "repl" })).toBeInTheDocument();
  expect(screen.getByText("1/2 ready")).toBeInTheDocument();
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(queries(calls)).toHaveLength(before + 1);
});

test("clicking a row, or Enter on it, opens the group's window", async () => {
  const calls = backend();
  const user = userEvent.setup();
  render(GroupsPage);

  await user.click(await screen.findByRole("rowheader", { name: "scoring" }));
  screen.getByRole("rowheader", { name: "repl" }).closest("tr")!.focus();
  await user.keyboard("{Enter}");

  expect(argsOf(calls, "open_group_window")).toEqual([{ id: "g-1" }, { id: "g-2" }]);
});

test("a new user is told what a group is and can create one", async () => {
  backend(() => pageOf([], 0, 25));
  const user = userEvent.setup();
  render(GroupsPage);

  expect(await screen.findByRole("heading", { name: "No groups yet" })).toBeInTheDocument();
  expect(screen.getByText(/answered in milliseconds/)).toBeInTheDocument();
  const [, emptyStateButton] = screen.getAllByRole("button", { name: "New group" });
  await user.click(emptyStateButton);
  expect(screen.getByRole("dialog", { name: "New group" })).toBeInTheDocument();
});

test("a filter that matches nothing says so and can be cleared", async () => {
  const calls = backend((query) => pageOf(query.search ? [] : [scoring], 0, 25));
  const user = userEvent.setup();
  render(GroupsPage);
  await screen.findByRole("rowheader", { name: "scoring" });

  await user.type(screen.getByLabelText("Search groups"), "zzz");
  expect(await screen.findByRole("heading", { name: "No group matches these filters" })).toBeInTheDocument();
  await user.click(screen.getByRole("button", { name: "Clear filters" }));

  expect(await screen.findByRole("rowheader", { name: "scoring" })).toBeInTheDocument();
  expect(lastQuery(calls).search).toBeNull();
});

test("a group a Livy client made is marked as a Livy session, with a tooltip saying what that means", async () => {
  const livy = group({ id: "g-5", name: "livy-session-7", kind: "CODE", language: "SCALA", tags: { livy: "session" } });
  backend(() => pageOf([livy, scoring], 0, 25));
  render(GroupsPage);

  const row = (await screen.findByRole("rowheader", { name: /livy-session-7/ })).closest("tr")!;
  const badge = within(row).getByText("Livy session");
  expect(badge).toHaveClass("badge");
  expect(within(row).getByText("Scala")).toBeInTheDocument();
  expect(badge).toHaveAttribute("title", expect.stringContaining("client of the Livy API"));
  expect(within(screen.getByRole("rowheader", { name: "scoring" }).closest("tr")!).queryByText("Livy session")).toBeNull();
});
