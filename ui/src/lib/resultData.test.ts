import { expect, test } from "vitest";
import { imageOf, jsonOf, sortRows, tableOf, type ResultTable } from "./resultData";

const schema = (...fields: [string, unknown][]) => ({
  type: "struct",
  fields: fields.map(([name, type]) => ({ name, type, nullable: true, metadata: {} })),
});

test("a SQL result and a Livy table both read as a table of named, typed columns", () => {
  const sql = { "application/json": { schema: schema(["id", "long"], ["tags", { type: "array", elementType: "string" }]), data: [[1, ["a"]]], truncated: true } };
  expect(tableOf(sql)).toEqual({ columns: [{ name: "id", type: "long" }, { name: "tags", type: "array" }], rows: [[1, ["a"]]], truncated: true });

  const livy = { "application/vnd.livy.table.v1+json": { headers: [{ name: "x", type: "INT_TYPE" }], data: [[3]] } };
  expect(tableOf(livy)).toEqual({ columns: [{ name: "x", type: "INT_TYPE" }], rows: [[3]], truncated: false });
});

test("a %json value is not a table; a bundle without a table or image gives neither", () => {
  const json = { "application/json": { answer: 42 } };
  expect(tableOf(json)).toBeNull();
  expect(jsonOf(json)).toEqual({ answer: 42 });
  expect(jsonOf({ "application/json": null })).toBeNull();
  expect(tableOf({ "text/plain": "3" })).toBeNull();
  expect(jsonOf({ "text/plain": "3" })).toBeUndefined();
  expect(imageOf({ "text/plain": "3" })).toBeNull();
  expect(tableOf(null)).toBeNull();
  expect(imageOf({ "image/png": "iVBO\nRw0=" })).toBe("data:image/png;base64,iVBORw0=");
});

const table = (type: string, values: unknown[]): ResultTable => ({
  columns: [{ name: "v", type }],
  rows: values.map((v) => [v]),
  truncated: false,
});
const sorted = (t: ResultTable, direction: "asc" | "desc") => sortRows(t, 0, direction).map((r) => r[0]);

test("numbers sort as numbers, decimals written as strings too, and nulls come last both ways", () => {
  expect(sorted(table("long", [10, null, 9, 100]), "asc")).toEqual([9, 10, 100, null]);
  expect(sorted(table("long", [10, null, 9, 100]), "desc")).toEqual([100, 10, 9, null]);
  expect(sorted(table("decimal(10,2)", ["10.50", "9.25", null, "-1"]), "asc")).toEqual(["-1", "9.25", "10.50", null]);
});

test("text sorts as text, ties keep their order, and the held rows are not reordered", () => {
  const t: ResultTable = { columns: [{ name: "k", type: "string" }, { name: "n", type: "int" }], rows: [["b", 1], ["a", 2], [null, 3], ["b", 4]], truncated: false };
  expect(sortRows(t, 0, "asc")).toEqual([["a", 2], ["b", 1], ["b", 4], [null, 3]]);
  expect(sortRows(t, 0, "desc")).toEqual([["b", 1], ["b", 4], ["a", 2], [null, 3]]);
  expect(t.rows[0]).toEqual(["b", 1]);
  // Strings of digits in a text column are text, so "10" sorts after "9" only by numeric collation.
  expect(sorted(table("string", ["item10", "item9"]), "asc")).toEqual(["item9", "item10"]);
});
