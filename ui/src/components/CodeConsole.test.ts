import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { expect, test } from "vitest";
import { argsOf, instance, mockBackend, refuse } from "../test-fixtures";
import CodeConsole from "./CodeConsole.svelte";

/** A driver that echoes cells as their output and completes "spark.r…" names. */
function backend() {
  const calls = mockBackend({
    run_group_request: ({ request }) =>
      request.type === "interactive_code_complete"
        ? instance({ type: request.type, jobClass: null, code: request.code, result: null, completions: ["spark.range(", "spark.read"] })
        : request.code.includes("boom")
          ? refuse("invalid", "is larger than 256 KiB", "code")
          : instance({ type: request.type, jobClass: null, code: request.code, result: `out: ${request.code}` }),
  });
  render(CodeConsole, { groupId: "g-1", groupLanguage: "PYTHON" });
  return { calls, user: userEvent.setup() };
}

const editor = () => screen.getByLabelText("Code") as HTMLTextAreaElement;

test("Ctrl+Enter runs the cell and shows its output; Up and Down walk the history", async () => {
  const { calls, user } = backend();

  await user.type(editor(), "1 + 1");
  await user.keyboard("{Control>}{Enter}{/Control}");

  expect(argsOf(calls, "run_group_request")).toEqual([
    { id: "g-1", request: { type: "interactive_code_execute", code: "1 + 1", language: "PYTHON" }, wait: true },
  ]);
  await waitFor(() => expect(document.getElementById("group-last-result-text")).toHaveTextContent("out: 1 + 1"));
  const cell = within(screen.getByRole("list", { name: "Cells" })).getByRole("listitem");
  expect(cell).toHaveTextContent(/In \[1\]\s*Python\s*1 \+ 1\s*Out \[1\]\s*out: 1 \+ 1/);
  expect(editor()).toHaveValue("");

  await user.type(editor(), "x = 2");
  await user.click(screen.getByRole("button", { name: "Run" }));
  await waitFor(() => expect(document.getElementById("group-last-result-text")).toHaveTextContent("out: x = 2"));
  expect(screen.getAllByText(/^In \[/).map((n) => n.textContent)).toEqual(["In [2]Python", "In [1]Python"]);

  await user.type(editor(), "dra");
  editor().setSelectionRange(0, 0);
  await user.keyboard("{ArrowUp}");
  expect(editor()).toHaveValue("x = 2");
  await user.keyboard("{ArrowUp}");
  expect(editor()).toHaveValue("1 + 1");
  editor().setSelectionRange(5, 5);
  await user.keyboard("{ArrowDown}");
  expect(editor()).toHaveValue("x = 2");
  await user.keyboard("{ArrowDown}");
  expect(editor()).toHaveValue("dra");
});

test("Tab asks a driver to complete at the cursor and offers the completions to pick from", async () => {
  const { calls, user } = backend();

  await user.type(editor(), "df = spark.r");
  await user.keyboard("{Tab}");

  const listbox = await screen.findByRole("listbox", { name: "Completions" });
  expect(argsOf(calls, "run_group_request")).toEqual([
    { id: "g-1", request: { type: "interactive_code_complete", code: "df = spark.r", cursor: 12, language: "PYTHON" }, wait: true },
  ]);
  const options = within(listbox).getAllByRole("option");
  expect(options.map((o) => o.textContent?.trim())).toEqual(["spark.range(", "spark.read"]);
  expect(editor()).toHaveFocus();
  expect(editor()).toHaveAttribute("aria-activedescendant", options[0].id);
  expect(options[0]).toHaveAttribute("aria-selected", "true");

  await user.keyboard("{ArrowDown}");
  expect(editor()).toHaveAttribute("aria-activedescendant", options[1].id);
  await user.keyboard("{Enter}");

  await waitFor(() => expect(editor()).toHaveValue("df = spark.read"));
  expect(screen.queryByRole("listbox")).not.toBeInTheDocument();
  expect(editor().selectionStart).toBe(15);
});

test("Ctrl+Space completes too, and a click picks a completion", async () => {
  const { user } = backend();
  await user.type(editor(), "spark.r.count()");
  editor().setSelectionRange(7, 7);

  await user.keyboard("{Control>}[Space]{/Control}");
  await user.pointer({ keys: "[MouseLeft>]", target: await screen.findByRole("option", { name: "spark.range(" }) });

  await waitFor(() => expect(editor()).toHaveValue("spark.range(.count()"));
});

test("a refusal keeps the code and is shown next to the editor", async () => {
  const { user } = backend();

  await user.type(editor(), "boom");
  await user.keyboard("{Control>}{Enter}{/Control}");

  await waitFor(() => expect(editor()).toHaveAccessibleDescription(expect.stringContaining("is larger than 256 KiB")));
  expect(editor()).toHaveValue("boom");
  expect(screen.queryByRole("list", { name: "Cells" })).not.toBeInTheDocument();
});

test("a cell runs in the language picked for it, starting with the group's; the cell and the history keep it", async () => {
  const calls = mockBackend({
    run_group_request: ({ request }) =>
      instance({ type: request.type, jobClass: null, code: request.code, result: request.type === "interactive_code_complete" ? null : "ok", completions: ["SELECT"] }),
  });
  render(CodeConsole, { groupId: "g-1", groupLanguage: "SCALA" });
  const user = userEvent.setup();
  const language = screen.getByRole("combobox", { name: "Language" });
  expect(language).toHaveValue("SCALA");
  expect(screen.getAllByRole("option").map((o) => o.textContent)).toEqual(["Scala", "Python", "SQL"]);

  await user.type(editor(), "spark.range(3).count()");
  await user.keyboard("{Control>}{Enter}{/Control}");
  await waitFor(() => expect(screen.getAllByText(/^In \[/)).toHaveLength(1));
  await user.selectOptions(language, "SQL");
  expect(editor()).toHaveAccessibleDescription(expect.stringContaining("a query's rows come back as a table"));
  await user.type(editor(), "SEL");
  await user.keyboard("{Tab}");
  await screen.findByRole("listbox", { name: "Completions" });
  await user.keyboard("{Escape}");
  await user.keyboard("{Control>}{Enter}{/Control}");
  await waitFor(() => expect(screen.getAllByText(/^In \[/)).toHaveLength(2));

  expect(argsOf(calls, "run_group_request").map((a) => [a.request.type, a.request.code, a.request.language])).toEqual([
    ["interactive_code_execute", "spark.range(3).count()", "SCALA"],
    ["interactive_code_complete", "SEL", "SQL"],
    ["interactive_code_execute", "SEL", "SQL"],
  ]);
  expect(screen.getAllByText(/^In \[/).map((n) => n.textContent)).toEqual(["In [2]SQL", "In [1]Scala"]);
  // The language stays as picked for the next cell; walking back brings each cell's own.
  expect(language).toHaveValue("SQL");
  await user.keyboard("{ArrowUp}");
  expect(editor()).toHaveValue("SEL");
  await user.keyboard("{ArrowUp}");
  expect(editor()).toHaveValue("spark.range(3).count()");
  expect(language).toHaveValue("SCALA");
  editor().setSelectionRange(editor().value.length, editor().value.length);
  await user.keyboard("{ArrowDown}");
  expect(language).toHaveValue("SQL");
});

test("a SQL result shows as a table, its text folded below", async () => {
  const schema = { type: "struct", fields: [{ name: "id", type: "long", nullable: false, metadata: {} }, { name: "word", type: "string", nullable: true, metadata: {} }] };
  const data = { "text/plain": "+---+----+", "application/json": { schema, data: [[1, "one"], [2, null]], truncated: false } };
  mockBackend({
    run_group_request: ({ request }) => instance({ type: request.type, jobClass: null, code: request.code, result: "+---+----+", data }),
  });
  render(CodeConsole, { groupId: "g-1", groupLanguage: "SQL" });
  const user = userEvent.setup();
  await user.type(editor(), "SELECT * FROM words");
  await user.keyboard("{Control>}{Enter}{/Control}");

  const table = await screen.findByRole("table");
  expect(within(table).getAllByRole("columnheader").map((h) => h.textContent?.replace(/[↕▲▼]/g, "").trim())).toEqual(["id", "word"]);
  expect(within(table).getAllByRole("row").slice(1).map((r) => r.textContent)).toEqual(["1one", "2null"]);
  expect(screen.getByText("2 rows")).toBeInTheDocument();
  expect(screen.getByText("As text")).toBeInTheDocument();
  expect(screen.getByRole("button", { name: "Save as CSV…" })).toBeInTheDocument();
});

test("a refused language is shown next to the language picker", async () => {
  mockBackend({ run_group_request: () => refuse("invalid", "SCALA is not available on this driver", "language") });
  render(CodeConsole, { groupId: "g-1", groupLanguage: "SCALA" });
  const user = userEvent.setup();
  await user.type(editor(), "1");
  await user.keyboard("{Control>}{Enter}{/Control}");
  const picker = screen.getByRole("combobox", { name: "Language" });
  await waitFor(() => expect(picker).toHaveAccessibleDescription(expect.stringContaining("SCALA is not available")));
  expect(picker).toHaveAttribute("aria-invalid", "true");
});
