import { render, screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { expect, test } from "vitest";
import { events } from "./bindings";
import { argsOf, clusterView, mockBackend, pageOf, refuse } from "../test-fixtures";
import PagedListProbe from "../test-harness/PagedListProbe.svelte";

const alpha = clusterView({ id: "c-1", name: "alpha" });
const beta = clusterView({ id: "c-2", name: "beta" });
const queries = (calls: ReturnType<typeof mockBackend>) => argsOf(calls, "list_clusters").map((a) => a.query);

test("asks for the page, again when what the query reads changes, and sorts from the first page", async () => {
  const calls = mockBackend({ list_clusters: ({ query }) => pageOf(query.search ? [beta] : [alpha, beta], query.page.page) });
  const user = userEvent.setup();
  render(PagedListProbe);

  expect(await screen.findByText("alpha")).toBeInTheDocument();
  expect(queries(calls)[0]).toEqual({ search: null, page: { page: 0, size: 10, sort: [{ field: "name", direction: "asc" }] } });

  await user.type(screen.getByLabelText("Search"), "b");
  await waitFor(() => expect(screen.queryByText("alpha")).not.toBeInTheDocument());
  await user.click(screen.getByRole("button", { name: "Sort by created" }));
  await waitFor(() => expect(queries(calls).at(-1).page.sort).toEqual([{ field: "createdTime", direction: "asc" }]));
  await user.click(screen.getByRole("button", { name: "Sort by created" }));
  await waitFor(() => expect(queries(calls).at(-1).page.sort).toEqual([{ field: "createdTime", direction: "desc" }]));
});

test("a null query sends nothing", async () => {
  const calls = mockBackend({ list_clusters: () => pageOf([alpha]) });
  const user = userEvent.setup();
  render(PagedListProbe);
  await screen.findByText("alpha");

  await user.type(screen.getByLabelText("Search"), "!");
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(queries(calls)).toHaveLength(1);
});

test("an older answer never replaces a newer one", async () => {
  const answers: ((page: unknown) => void)[] = [];
  mockBackend({ list_clusters: () => new Promise((resolve) => answers.push(resolve)) });
  const user = userEvent.setup();
  render(PagedListProbe);
  await waitFor(() => expect(answers).toHaveLength(1));

  await user.type(screen.getByLabelText("Search"), "b");
  await waitFor(() => expect(answers).toHaveLength(2));
  answers[1](pageOf([beta]));
  expect(await screen.findByText("beta")).toBeInTheDocument();
  answers[0](pageOf([alpha]));
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(screen.queryByText("alpha")).not.toBeInTheDocument();
});

test("a page emptied under the user moves to the new last page", async () => {
  const calls = mockBackend({
    // 25 clusters until page 2 is asked for; by then 10 went away elsewhere.
    list_clusters: ({ query }) => (query.page.page === 2 ? pageOf([], 2, 10, 15) : pageOf([alpha], query.page.page, 10, 25)),
  });
  const user = userEvent.setup();
  render(PagedListProbe);
  await screen.findByText("alpha");
  await user.click(screen.getByRole("button", { name: "Next" }));
  await waitFor(() => expect(queries(calls).at(-1).page.page).toBe(1));
  await user.click(screen.getByRole("button", { name: "Next" }));
  await waitFor(() => expect(queries(calls).map((q) => q.page.page)).toEqual([0, 1, 2, 1]));
});

test("a burst of events that concern it is one query; others are ignored", async () => {
  const calls = mockBackend({ list_clusters: () => pageOf([alpha]) });
  render(PagedListProbe);
  await screen.findByText("alpha");

  await events.engineChanged.emit({ kind: "clusterChanged", cluster: alpha });
  await events.engineChanged.emit({ kind: "clusterChanged", cluster: beta });
  await events.engineChanged.emit({ kind: "clusterDeleted", id: "c-3", name: "old" });
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(queries(calls)).toHaveLength(2);
});

test("without debouncing each event asks at once", async () => {
  const calls = mockBackend({ list_clusters: () => pageOf([alpha]) });
  render(PagedListProbe, { debounceMs: 0 });
  await screen.findByText("alpha");

  await events.engineChanged.emit({ kind: "clusterChanged", cluster: alpha });
  await events.engineChanged.emit({ kind: "clusterChanged", cluster: beta });
  await waitFor(() => expect(queries(calls)).toHaveLength(3));
});

test("a failed load says why and can be tried again", async () => {
  let fail = true;
  mockBackend({ list_clusters: () => (fail ? refuse("internal", "store unavailable") : pageOf([alpha])) });
  const user = userEvent.setup();
  render(PagedListProbe);

  expect(await screen.findByRole("alert")).toHaveTextContent("Could not load clusters: Store unavailable");
  fail = false;
  await user.click(screen.getByRole("button", { name: "Try again" }));
  expect(await screen.findByText("alpha")).toBeInTheDocument();
  expect(screen.queryByRole("alert")).not.toBeInTheDocument();
});
