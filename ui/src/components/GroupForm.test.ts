import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { expect, test, vi } from "vitest";
import { BUILT_IN_DEFAULTS } from "../lib/jobForm";
import { argsOf, dropFiles, group, mockBackend, refuse } from "../test-fixtures";
import GroupForm from "./GroupForm.svelte";

function renderForm(defaults = BUILT_IN_DEFAULTS) {
  const oncreated = vi.fn();
  const oncancel = vi.fn();
  render(GroupForm, { defaults, oncreated, oncancel });
  return { oncreated, oncancel, user: userEvent.setup() };
}

const list = (name: string) => screen.getByRole("list", { name });

test("a Python job classes group sends its kind, scale, files, requirements, conf and tags", async () => {
  const calls = mockBackend({
    cluster_names: () => ["default", "prod"],
    pick_job_files: () => ["/w/lookup.csv"],
    create_group: ({ form }) => group({ name: form.name }),
  });
  const { user, oncreated } = renderForm();

  await user.type(screen.getByLabelText("Name"), "scoring");
  await user.type(screen.getByLabelText("Description"), "Scores orders");
  await waitFor(() => expect(screen.getByRole("option", { name: "prod" })).toBeInTheDocument());
  await user.selectOptions(screen.getByLabelText("Cluster"), "prod");
  expect(screen.getByRole("radio", { name: /^Job classes/ })).toBeChecked();
  await user.clear(screen.getByLabelText("Scale"));
  await user.type(screen.getByLabelText("Scale"), "3");
  await dropFiles(["/w/jobs.py", "/w/udf.jar"]);
  await user.click(screen.getByRole("button", { name: "Add other files…" }));
  await user.type(screen.getByLabelText("pip requirements"), "pandas==2.2{Enter}numpy");
  await user.click(screen.getByRole("button", { name: "Add property" }));
  await user.keyboard("spark.driver.memory");
  await user.type(screen.getByLabelText("Value 1"), "1g");
  await user.click(screen.getByRole("button", { name: "Add tag" }));
  await user.keyboard("team");
  await user.type(screen.getByLabelText("Tag value 1"), "data");
  await user.click(screen.getByRole("button", { name: "Create" }));

  expect(argsOf(calls, "create_group")).toEqual([
    {
      form: {
        name: "scoring",
        description: "Scores orders",
        kind: "JOB",
        language: "PYTHON",
        clusterName: "prod",
        scale: 3,
        tags: "team=data",
        jobConfig: "spark.driver.memory=1g",
        pyRequirements: "pandas==2.2;numpy",
        jars: ["/w/udf.jar"],
        pyFiles: ["/w/jobs.py"],
        files: ["/w/lookup.csv"],
        watchJars: false,
      },
    },
  ]);
  expect(oncreated).toHaveBeenCalledWith(expect.objectContaining({ name: "scoring" }));
});

test("dropped jars make a JVM group that can watch them, whose files keep their lists", async () => {
  const calls = mockBackend({ cluster_names: () => ["default"], create_group: () => group() });
  const { user } = renderForm();

  await dropFiles(["/w/jobs-assembly.jar", "/w/conf.json"]);
  await waitFor(() => expect(screen.getByRole("radio", { name: /^JVM/ })).toBeChecked());
  expect(document.getElementById("group-jars")).toHaveTextContent("jobs-assembly.jar");
  expect(list("Other files")).toHaveTextContent("conf.json");
  expect(screen.queryByLabelText("pip requirements")).not.toBeInTheDocument();
  await user.click(screen.getByLabelText("Redeploy when a jar is rebuilt"));
  await user.type(screen.getByLabelText("Name"), "etl{Enter}");

  expect(argsOf(calls, "create_group")[0].form).toEqual({
    name: "etl",
    kind: "JOB",
    language: "SCALA",
    clusterName: "default",
    scale: 1,
    jars: ["/w/jobs-assembly.jar"],
    pyFiles: [],
    files: ["/w/conf.json"],
    watchJars: true,
  });
});

test("a code group runs Scala, Python or SQL, with what Scala costs; job classes go back from SQL to Python", async () => {
  const calls = mockBackend({ cluster_names: () => ["default"], create_group: () => group() });
  const { user } = renderForm({ ...BUILT_IN_DEFAULTS, language: "SCALA" });

  await user.click(screen.getByRole("radio", { name: /^Code/ }));

  const picker = screen.getByRole("group", { name: "Language" });
  expect(within(picker).getAllByRole("radio").map((r) => r.getAttribute("value"))).toEqual(["SCALA", "PYTHON", "SQL"]);
  expect(screen.getByRole("radio", { name: /^Scala/ })).toBeChecked();
  expect(picker).toHaveAccessibleDescription(expect.stringContaining("about 3 s more to start (up to 12 s on a busy machine) and 160 MiB more memory"));
  await user.click(screen.getByRole("radio", { name: /^SQL/ }));
  await user.type(screen.getByLabelText("Name"), "repl{Enter}");
  expect(argsOf(calls, "create_group")[0].form).toMatchObject({ kind: "CODE", language: "SQL" });

  await user.click(screen.getByRole("radio", { name: /^Job classes/ }));
  expect(within(picker).getAllByRole("radio").map((r) => r.getAttribute("value"))).toEqual(["PYTHON", "SCALA"]);
  expect(screen.getByRole("radio", { name: /^Python/ })).toBeChecked();
});

test("a scale out of range is explained next to it and not sent", async () => {
  const calls = mockBackend({ cluster_names: () => ["default"], create_group: () => group() });
  const { user } = renderForm();
  await user.type(screen.getByLabelText("Name"), "big");

  await user.clear(screen.getByLabelText("Scale"));
  await user.type(screen.getByLabelText("Scale"), "17");
  await user.click(screen.getByRole("button", { name: "Create" }));

  const scale = screen.getByLabelText("Scale");
  expect(scale).toHaveAttribute("aria-invalid", "true");
  expect(scale).toHaveAccessibleDescription(expect.stringContaining("must be a whole number from 0 to 16"));
  expect(scale).toHaveFocus();
  expect(argsOf(calls, "create_group")).toEqual([]);
});

test("a backend error shows next to its input, or on top without one; values are kept", async () => {
  let refusal = () => refuse("conflict", "is taken by another group", "name");
  mockBackend({ cluster_names: () => ["default"], create_group: () => refusal() });
  const { user, oncreated } = renderForm();
  await user.type(screen.getByLabelText("Name"), "scoring");
  await dropFiles(["/w/jobs.py"]);

  await user.click(screen.getByRole("button", { name: "Create" }));
  const name = screen.getByLabelText("Name");
  await waitFor(() => expect(name).toHaveAttribute("aria-invalid", "true"));
  expect(name).toHaveAccessibleDescription(expect.stringContaining("is taken by another group"));
  expect(name).toHaveFocus();
  expect(name).toHaveValue("scoring");
  expect(within(list("Python files")).getAllByRole("listitem")).toHaveLength(1);

  refusal = () => refuse("invalid", "local clusters only run groups", "clusterName");
  await user.click(screen.getByRole("button", { name: "Create" }));
  await waitFor(() => expect(screen.getByLabelText("Cluster")).toHaveAccessibleDescription("local clusters only run groups"));

  refusal = () => refuse("internal", "the artifact store is full");
  await user.click(screen.getByRole("button", { name: "Create" }));
  expect(await screen.findByRole("alert")).toHaveTextContent("The artifact store is full");
  expect(oncreated).not.toHaveBeenCalled();
});

test("while files are copied the button is busy and says so", async () => {
  let finish: (value: unknown) => void = () => {};
  mockBackend({ cluster_names: () => ["default"], create_group: () => new Promise((resolve) => (finish = resolve)) });
  const { user } = renderForm();
  await user.type(screen.getByLabelText("Name"), "scoring");

  await user.click(screen.getByRole("button", { name: "Create" }));

  const busy = screen.getByRole("button", { name: "Creating…" });
  expect(busy).toBeDisabled();
  expect(busy).toHaveAttribute("aria-busy", "true");
  expect(screen.getByText("Copying files…")).toBeInTheDocument();
  finish(group());
  await waitFor(() => expect(screen.getByRole("button", { name: "Create" })).toBeEnabled());
});

test("a group's Resources send its memory, packages and autoPause; the engine's field error opens them", async () => {
  const calls = mockBackend({
    cluster_names: () => ["default"],
    create_group: () => refuse("invalid", "executorMemory is '1g' but jobConfig sets spark.executor.memory=2g", "executorMemory"),
  });
  const { user, oncreated } = renderForm();
  await user.type(screen.getByLabelText("Name"), "warm");
  await user.click(screen.getByText("Resources"));
  await user.type(screen.getByLabelText("Executor memory"), "1g");
  await user.type(screen.getByLabelText("Maven packages"), "org.example:lib:1.0");
  await user.click(screen.getByLabelText("Pause when idle"));
  await user.click(screen.getByText(/^Resources/));
  expect(screen.getByLabelText("Executor memory")).not.toBeVisible();
  await user.click(screen.getByRole("button", { name: "Create" }));

  expect(argsOf(calls, "create_group")[0].form).toMatchObject({ executorMemory: "1g", packages: "org.example:lib:1.0", autoPause: true });
  const memory = screen.getByLabelText("Executor memory");
  await waitFor(() => expect(memory).toHaveAttribute("aria-invalid", "true"));
  expect(memory).toBeVisible();
  expect(memory).toHaveAccessibleDescription(expect.stringContaining("jobConfig sets spark.executor.memory=2g"));
  expect(oncreated).not.toHaveBeenCalled();
});
