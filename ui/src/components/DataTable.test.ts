import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { createRawSnippet } from "svelte";
import { expect, test, vi } from "vitest";
import DataTable from "./DataTable.svelte";

type Row = { id: string; name: string };
const ROWS: Row[] = [
  { id: "a", name: "alpha" },
  { id: "b", name: "beta" },
];
const cells = createRawSnippet((row: () => Row) => ({ render: () => `<th scope="row">${row().name}</th>` }));
const columns = [{ field: "name", label: "Name" }, { label: "Tags" }, { label: "Actions", hidden: true }];

function renderTable(extra: Record<string, unknown> = {}) {
  const onsort = vi.fn();
  const sort = { field: "name", direction: "asc" as const };
  render(DataTable<Row>, { rows: ROWS, key: (row: Row) => row.id, columns, sort, onsort, cells, ...extra });
  return { onsort, user: userEvent.setup() };
}

test("headers: a field sorts, others are plain, a hidden one is read out only", async () => {
  const { onsort, user } = renderTable();
  expect(screen.getByRole("columnheader", { name: /Name/ })).toHaveAttribute("aria-sort", "ascending");
  expect(screen.getByRole("columnheader", { name: "Tags" })).not.toHaveAttribute("aria-sort");
  expect(within(screen.getByRole("columnheader", { name: "Actions" })).getByText("Actions")).toHaveClass("visually-hidden");
  await user.click(screen.getByRole("button", { name: /Name/ }));
  expect(onsort).toHaveBeenCalledWith("name");
});

test("with onopen a row opens on click and on Enter, and carries its attributes", async () => {
  const onopen = vi.fn();
  const { user } = renderTable({ onopen, caption: "Things.", rowAttributes: (row: Row) => ({ class: "thing", "data-id": row.id }) });
  const beta = screen.getByRole("row", { name: "beta" });
  expect(beta).toHaveClass("thing");
  expect(beta).toHaveAttribute("data-id", "b");
  expect(screen.getByRole("table", { name: "Things." })).toBeInTheDocument();

  await user.click(screen.getByText("alpha"));
  beta.focus();
  await user.keyboard("{Enter}");
  expect(onopen.mock.calls.map(([row]) => row.id)).toEqual(["a", "b"]);
});

test("without onopen rows are not focusable", () => {
  renderTable();
  expect(screen.getByRole("row", { name: "alpha" })).not.toHaveAttribute("tabindex");
});
