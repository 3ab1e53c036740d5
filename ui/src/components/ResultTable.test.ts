import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { expect, test, vi } from "vitest";
import type { ResultTable as Table } from "../lib/resultData";
import ResultTable from "./ResultTable.svelte";

/** 120 rows: id 1..120, and a score that is null on every tenth row. */
const big: Table = {
  columns: [{ name: "id", type: "long" }, { name: "score", type: "double" }],
  rows: Array.from({ length: 120 }, (_, i) => [i + 1, (i + 1) % 10 === 0 ? null : ((i * 7) % 13) + 0.5]),
  truncated: false,
};

const bodyRows = () => within(screen.getByRole("table")).getAllByRole("row").slice(1);
const column = (n: number) => bodyRows().map((r) => within(r).getAllByRole("cell")[n].textContent);

test("the first 50 rows show, and each Load more adds 50 of the held rows", async () => {
  const user = userEvent.setup();
  render(ResultTable, { table: big });

  expect(bodyRows()).toHaveLength(50);
  expect(screen.getByText(/120 rows; showing 50/)).toBeInTheDocument();
  await user.click(screen.getByRole("button", { name: "Load more (50 of 70 left)" }));
  expect(bodyRows()).toHaveLength(100);
  await user.click(screen.getByRole("button", { name: "Load more (20 of 20 left)" }));
  expect(bodyRows()).toHaveLength(120);
  expect(screen.queryByRole("button", { name: /Load more/ })).not.toBeInTheDocument();
  expect(screen.getByText("120 rows")).toBeInTheDocument();
});

test("a header click sorts numerically, again reverses, and nulls stay last", async () => {
  const user = userEvent.setup();
  const table: Table = { columns: [{ name: "n", type: "int" }], rows: [[10], [null], [9], [100]], truncated: false };
  render(ResultTable, { table });

  const header = screen.getByRole("columnheader", { name: /n/ });
  expect(header).not.toHaveAttribute("aria-sort");
  await user.click(within(header).getByRole("button"));
  expect(header).toHaveAttribute("aria-sort", "ascending");
  expect(column(0)).toEqual(["9", "10", "100", "null"]);
  await user.click(within(header).getByRole("button"));
  expect(header).toHaveAttribute("aria-sort", "descending");
  expect(column(0)).toEqual(["100", "10", "9", "null"]);
});

test("sorting applies to every held row, not only the ones shown", async () => {
  const user = userEvent.setup();
  render(ResultTable, { table: big });
  await user.click(within(screen.getByRole("columnheader", { name: /id/ })).getByRole("button"));
  await user.click(within(screen.getByRole("columnheader", { name: /id/ })).getByRole("button"));
  expect(column(0).slice(0, 3)).toEqual(["120", "119", "118"]);
});

test("a truncated result says it shows the first 1000 rows", () => {
  const rows = Array.from({ length: 1000 }, (_, i) => [i]);
  render(ResultTable, { table: { columns: [{ name: "i", type: "long" }], rows, truncated: true } });
  expect(screen.getByText(/The first 1000 rows \(the result has more\); showing 50/)).toBeInTheDocument();
});

test("Copy as CSV copies every held row in the order shown, quoted as RFC 4180 says", async () => {
  const user = userEvent.setup();
  const table: Table = {
    columns: [{ name: "name", type: "string" }, { name: "n", type: "int" }],
    rows: [["b, c", 2], ['say "x"', 1], [null, 3]],
    truncated: false,
  };
  render(ResultTable, { table });
  await user.click(within(screen.getByRole("columnheader", { name: /n$/ })).getByRole("button"));
  await user.click(screen.getByRole("button", { name: "Copy as CSV" }));

  expect(await navigator.clipboard.readText()).toBe('name,n\r\n"say ""x""",1\r\n"b, c",2\r\n,3\r\n');
  expect(screen.getByRole("status")).toHaveTextContent("Copied 3 rows as CSV.");
});

test("Save as CSV… is offered only with a saver, and shows what it answered", async () => {
  const user = userEvent.setup();
  const onsave = vi.fn(async () => "Saved 4 rows to /home/me/out.csv.");
  const { unmount } = render(ResultTable, { table: big });
  expect(screen.queryByRole("button", { name: "Save as CSV…" })).not.toBeInTheDocument();
  unmount();

  render(ResultTable, { table: big, onsave });
  await user.click(screen.getByRole("button", { name: "Save as CSV…" }));
  expect(onsave).toHaveBeenCalledOnce();
  expect(screen.getByRole("status")).toHaveTextContent("Saved 4 rows to /home/me/out.csv.");
});

test("number columns are right-aligned, their header too", () => {
  render(ResultTable, { table: { columns: [{ name: "n", type: "decimal(10,2)" }, { name: "s", type: "string" }], rows: [["1.50", "x"]], truncated: false } });
  const [n, s] = screen.getAllByRole("columnheader");
  expect(n).toHaveClass("num");
  expect(s).not.toHaveClass("num");
  const [value, text] = screen.getAllByRole("cell");
  expect(value).toHaveClass("num");
  expect(text).not.toHaveClass("num");
});
