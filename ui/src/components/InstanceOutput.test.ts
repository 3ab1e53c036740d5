import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { expect, test } from "vitest";
import type { Value } from "../lib/bindings";
import { argsOf, instance, mockBackend } from "../test-fixtures";
import InstanceOutput from "./InstanceOutput.svelte";

const cell = (data: { [key: string]: Value }, result: string | null = "text") =>
  instance({ jobInstanceId: "i-7", groupId: "g-3", type: "interactive_code_execute", jobClass: null, code: "x", result, data });

test("a %matplot PNG shows as an image, the text folded below", () => {
  render(InstanceOutput, { instance: cell({ "text/plain": "<Figure>", "image/png": "iVBORw0KGgo=" }, "<Figure>") });
  expect(screen.getByRole("img", { name: "The plot the cell drew" })).toHaveAttribute("src", "data:image/png;base64,iVBORw0KGgo=");
  expect(screen.getByText("As text").closest("details")).not.toHaveAttribute("open");
});

test("a %table shows as a table with its headers", () => {
  const table = { headers: [{ name: "k", type: "STRING_TYPE" }, { name: "v", type: "INT_TYPE" }], data: [["a", 1], ["b", 2]] };
  render(InstanceOutput, { instance: cell({ "application/vnd.livy.table.v1+json": table }) });
  const rows = within(screen.getByRole("table")).getAllByRole("row");
  expect(rows.map((r) => r.textContent?.replace(/[↕▲▼\s]/g, ""))).toEqual(["kv", "a1", "b2"]);
});

test("a %json value shows as indented JSON", () => {
  render(InstanceOutput, { instance: cell({ "application/json": { answer: [42] } }, '{"answer": [42]}') });
  expect(document.querySelector("pre.result-json")?.textContent).toBe('{\n  "answer": [\n    42\n  ]\n}');
});

test("Save as CSV… asks for a path in the save dialog, then has the backend write that result there", async () => {
  const user = userEvent.setup();
  const schema = { type: "struct", fields: [{ name: "n", type: "long", nullable: false, metadata: {} }] };
  let answer: string | null = "/home/me/n.csv";
  const calls = mockBackend({
    pick_save_file: () => answer,
    save_result_csv: ({ path }) => ({ path, rows: 1 }),
  });
  render(InstanceOutput, { instance: cell({ "application/json": { schema, data: [[1]], truncated: false } }) });

  await user.click(screen.getByRole("button", { name: "Save as CSV…" }));
  await waitFor(() => expect(screen.getByRole("status")).toHaveTextContent("Saved 1 row to /home/me/n.csv."));
  expect(argsOf(calls, "pick_save_file")).toEqual([{ title: "Save the result as CSV", fileName: "result.csv", extensions: ["csv"] }]);
  expect(argsOf(calls, "save_result_csv")).toEqual([{ id: "g-3", instanceId: "i-7", path: "/home/me/n.csv" }]);

  answer = null; // cancelled: nothing is written
  await user.click(screen.getByRole("button", { name: "Save as CSV…" }));
  await waitFor(() => expect(argsOf(calls, "pick_save_file")).toHaveLength(2));
  expect(argsOf(calls, "save_result_csv")).toHaveLength(1);
});
