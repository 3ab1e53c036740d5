import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { emit } from "@tauri-apps/api/event";
import { expect, test, vi } from "vitest";
import { BUILT_IN_DEFAULTS } from "../lib/jobForm";
import { argsOf, dropFiles, job, mockBackend, refuse } from "../test-fixtures";
import JobForm from "./JobForm.svelte";

function renderForm(paths: string[] = [], defaults = BUILT_IN_DEFAULTS) {
  const onsubmitted = vi.fn();
  const oncancel = vi.fn();
  render(JobForm, { defaults, paths, onsubmitted, oncancel });
  return { onsubmitted, oncancel, user: userEvent.setup() };
}

const list = (name: string) => screen.getByRole("list", { name });

test("a Python job sends its script, files, requirements, arguments, conf and tags", async () => {
  const calls = mockBackend({
    cluster_names: () => ["default", "prod"],
    pick_job_files: ({ extensions }) => (extensions.includes("py") ? ["/w/helpers.py"] : ["/w/lookup.csv"]),
    submit_job: ({ form }) => job({ jobName: form.name }),
  });
  const { user, onsubmitted } = renderForm();

  await user.type(screen.getByLabelText("Name"), "word count");
  await waitFor(() => expect(screen.getByRole("option", { name: "prod" })).toBeInTheDocument());
  await user.selectOptions(screen.getByLabelText("Cluster"), "prod");
  await dropFiles(["/w/main.py", "/w/dep.jar"]);
  await user.click(screen.getByRole("button", { name: "Add Python files…" }));
  await user.click(screen.getByRole("button", { name: "Add other files…" }));
  await user.type(screen.getByLabelText("pip requirements"), "pandas==2.2{Enter}numpy");
  await user.click(screen.getByRole("button", { name: "Add argument" }));
  await user.keyboard("--day");
  await user.click(screen.getByRole("button", { name: "Add argument" }));
  await user.keyboard("2025-01-01");
  await user.click(screen.getByRole("button", { name: "Add property" }));
  await user.keyboard("spark.executor.memory");
  await user.type(screen.getByLabelText("Value 1"), "2g");
  await user.click(screen.getByRole("button", { name: "Add tag" }));
  await user.keyboard("team");
  await user.type(screen.getByLabelText("Tag value 1"), "data");
  await user.click(screen.getByRole("button", { name: "Submit" }));

  expect(argsOf(calls, "pick_job_files")).toEqual([
    { title: "Add Python files", extensions: ["py", "zip", "egg"] },
    { title: "Add other files", extensions: [] },
  ]);
  expect(argsOf(calls, "submit_job")).toEqual([
    {
      form: {
        name: "word count",
        language: "PYTHON",
        clusterName: "prod",
        tags: "team=data",
        jobConfig: "spark.executor.memory=2g",
        pyRequirements: "pandas==2.2;numpy",
        args: "--day;2025-01-01",
        jars: ["/w/dep.jar"],
        pyFiles: ["/w/main.py", "/w/helpers.py"],
        files: ["/w/lookup.csv"],
      },
    },
  ]);
  expect(onsubmitted).toHaveBeenCalledWith(expect.objectContaining({ jobName: "word count" }));
});

test("a JVM job sends its main class and jars", async () => {
  const calls = mockBackend({ cluster_names: () => ["default"], submit_job: () => job() });
  const { user } = renderForm(["/w/etl-assembly.jar"]);

  expect(screen.getByLabelText("Name")).toHaveValue("etl-assembly");
  expect(screen.getByRole("radio", { name: /JVM/ })).toBeChecked();
  expect(screen.queryByLabelText("pip requirements")).not.toBeInTheDocument();
  await user.type(screen.getByLabelText("Main class"), "com.example.Etl{Enter}");

  expect(argsOf(calls, "submit_job")[0].form).toEqual({
    name: "etl-assembly",
    language: "SCALA",
    clusterName: "default",
    jobClass: "com.example.Etl",
    jars: ["/w/etl-assembly.jar"],
    pyFiles: [],
    files: [],
  });
});

test("dropped files are routed by extension, and a script switches to Python", async () => {
  mockBackend({ cluster_names: () => ["default"] });
  renderForm([], { ...BUILT_IN_DEFAULTS, language: "SCALA" });

  await dropFiles(["/w/job.py", "/w/data.parquet", "/w/udf.jar", "/w/job.py"]);

  expect(within(list("Python files")).getAllByRole("listitem")).toHaveLength(1);
  expect(list("Python files")).toHaveTextContent("job.py");
  expect(list("Jars")).toHaveTextContent("udf.jar");
  expect(list("Other files")).toHaveTextContent("data.parquet");
  // Jars and a script: the user's choice of language stands.
  expect(screen.getByRole("radio", { name: /JVM/ })).toBeChecked();
  expect(screen.getByLabelText("Name")).toHaveValue("job");
});

test("files dragged over the window highlight the drop zone until they leave", async () => {
  mockBackend({ cluster_names: () => ["default"] });
  renderForm();
  await new Promise((resolve) => setTimeout(resolve));

  await emit("tauri://drag-over", { position: { x: 5, y: 5 } });
  expect(await screen.findByText("Drop to add the files")).toBeInTheDocument();
  expect(screen.getByRole("group", { name: "Files" })).toHaveClass("dragging");

  await emit("tauri://drag-leave", null);
  await waitFor(() => expect(screen.queryByText("Drop to add the files")).not.toBeInTheDocument());
  expect(screen.getByRole("group", { name: "Files" })).not.toHaveClass("dragging");
});

test("a drop on a form without jars makes it a Python job", async () => {
  mockBackend({ cluster_names: () => ["default"] });
  renderForm([], { ...BUILT_IN_DEFAULTS, language: "SCALA" });

  await dropFiles(["/w/job.py"]);

  await waitFor(() => expect(screen.getByRole("radio", { name: /Python/ })).toBeChecked());
  expect(screen.getByText("Added 1 file.")).toBeInTheDocument();
});

test("a file can be removed from its list", async () => {
  mockBackend({ cluster_names: () => ["default"] });
  const { user } = renderForm(["/w/a.py", "/w/b.py"]);

  await user.click(screen.getByRole("button", { name: "Remove a.py" }));

  expect(list("Python files")).toHaveTextContent("b.py");
  expect(list("Python files")).not.toHaveTextContent("a.py");
});

test("while files are copied the button is busy and says so", async () => {
  let finish: (value: unknown) => void = () => {};
  mockBackend({ cluster_names: () => ["default"], submit_job: () => new Promise((resolve) => (finish = resolve)) });
  const { user } = renderForm(["/w/big.py"]);

  await user.click(screen.getByRole("button", { name: "Submit" }));

  const busy = screen.getByRole("button", { name: "Submitting…" });
  expect(busy).toBeDisabled();
  expect(busy).toHaveAttribute("aria-busy", "true");
  expect(screen.getByText("Copying files…")).toBeInTheDocument();
  finish(job());
  await waitFor(() => expect(screen.getByRole("button", { name: "Submit" })).toBeEnabled());
});

test("a backend error shows next to its input and the form keeps its values", async () => {
  mockBackend({
    cluster_names: () => ["default"],
    submit_job: () => refuse("invalid", "the main script 'notes.txt' must be a .py file", "pyFiles"),
  });
  const { user, onsubmitted, oncancel } = renderForm(["/w/run.py"]);
  await user.type(screen.getByLabelText("pip requirements"), "pandas");

  await user.click(screen.getByRole("button", { name: "Submit" }));

  const error = await screen.findByText("the main script 'notes.txt' must be a .py file");
  expect(error).toHaveFocus();
  expect(screen.getByRole("group", { name: "Python files" })).toHaveAccessibleDescription(
    expect.stringContaining("must be a .py file"),
  );
  expect(screen.getByLabelText("Name")).toHaveValue("run");
  expect(screen.getByLabelText("pip requirements")).toHaveValue("pandas");
  expect(list("Python files")).toHaveTextContent("run.py");
  expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  expect(onsubmitted).not.toHaveBeenCalled();
  expect(oncancel).not.toHaveBeenCalled();
});

test("an error on a named input marks it; one without a field goes on top", async () => {
  let refusal = () => refuse("invalid", "is required", "name");
  mockBackend({ cluster_names: () => ["default"], submit_job: () => refusal() });
  const { user } = renderForm(["/w/run.py"]);
  await user.clear(screen.getByLabelText("Name"));

  await user.click(screen.getByRole("button", { name: "Submit" }));
  const name = screen.getByLabelText("Name");
  await waitFor(() => expect(name).toHaveAttribute("aria-invalid", "true"));
  expect(name).toHaveAccessibleDescription("is required");
  expect(name).toHaveFocus();

  refusal = () => refuse("conflict", "Java 17+ is required");
  await user.type(name, "x{Enter}");
  expect(await screen.findByRole("alert")).toHaveTextContent("Java 17+ is required");
  expect(name).not.toHaveAttribute("aria-invalid");
});

test("Spark missing is a notice above the form, pointing to Settings; no input is marked", async () => {
  const message =
    "no Spark found (no SPARK_HOME, no .venv with pyspark, python3 cannot import pyspark); run `make setup` in the Sparkdeck checkout";
  mockBackend({ cluster_names: () => ["default"], submit_job: () => refuse("unavailable", message) });
  const { user, onsubmitted } = renderForm(["/w/run.py"]);

  await user.click(screen.getByRole("button", { name: "Submit" }));
  const notice = await screen.findByRole("alert");
  expect(notice).toHaveTextContent("Spark is not available on this machine");
  expect(notice).toHaveTextContent("No Spark found (no SPARK_HOME");
  expect(within(notice).getByRole("link", { name: "Settings" })).toHaveAttribute("href", "#/settings");
  await waitFor(() => expect(notice).toHaveFocus());
  expect(document.querySelectorAll("[aria-invalid='true'], .field-error")).toHaveLength(0);
  expect(screen.getByLabelText("Name")).toHaveValue("run");
  expect(onsubmitted).not.toHaveBeenCalled();
});

test("an unreachable cluster and a fault of Sparkdeck's are each said for what they are", async () => {
  let refusal = () => refuse("unavailable", "cannot reach the API server at https://k8s.local:6443: connection refused");
  mockBackend({ cluster_names: () => ["default"], submit_job: () => refusal() });
  const { user } = renderForm(["/w/run.py"]);

  await user.click(screen.getByRole("button", { name: "Submit" }));
  const notice = await screen.findByRole("alert");
  expect(notice).toHaveTextContent("The cluster cannot be reached");
  expect(within(notice).queryByRole("link")).not.toBeInTheDocument();

  refusal = () => refuse("internal", "database error: disk I/O error");
  await user.click(screen.getByRole("button", { name: "Submit" }));
  await waitFor(() => expect(screen.getByRole("alert")).toHaveTextContent("Something went wrong in Sparkdeck"));
  expect(screen.getByRole("alert")).toHaveTextContent("Database error: disk I/O error");
  expect(document.querySelectorAll("[aria-invalid='true']")).toHaveLength(0);
});

test("the Resources section sends memory, cores, dynamic executors and packages", async () => {
  const calls = mockBackend({ cluster_names: () => ["default"], submit_job: () => job() });
  const { user } = renderForm(["/w/run.py"]);

  expect(screen.getByLabelText("Driver memory")).not.toBeVisible();
  await user.click(screen.getByText("Resources"));
  await user.type(screen.getByLabelText("Driver memory"), "2g");
  await user.type(screen.getByLabelText("Executor cores"), "4");
  await user.type(screen.getByLabelText("Executors"), "3");
  await user.click(screen.getByLabelText(/Dynamic allocation/));
  expect(screen.queryByLabelText("Executors")).not.toBeInTheDocument();
  await user.type(screen.getByLabelText("Min executors"), "1");
  await user.type(screen.getByLabelText("Max executors"), "8");
  await user.type(screen.getByLabelText("Maven packages"), "org.postgresql:postgresql:42.7.4{Enter}com.lihaoyi:os-lib_2.13:0.9.1");
  await user.click(screen.getByRole("button", { name: "Submit" }));

  expect(argsOf(calls, "submit_job")[0].form).toEqual(
    expect.objectContaining({
      driverMemory: "2g",
      executorCores: "4",
      dynamicAllocation: "true",
      minExecutors: "1",
      maxExecutors: "8",
      packages: "org.postgresql:postgresql:42.7.4,com.lihaoyi:os-lib_2.13:0.9.1",
    }),
  );
  // The fixed count is hidden with dynamic allocation on, so it is not sent either.
  expect(argsOf(calls, "submit_job")[0].form.executors).toBeUndefined();
  expect(screen.getByText("Resources (6 set)")).toBeInTheDocument();
});

test("a memory size that is not a JVM size is explained at its input and nothing is sent", async () => {
  const calls = mockBackend({ cluster_names: () => ["default"], submit_job: () => job() });
  const { user } = renderForm(["/w/run.py"]);
  await user.click(screen.getByText("Resources"));
  await user.type(screen.getByLabelText("Executor memory"), "4 GB");
  await user.click(screen.getByRole("button", { name: "Submit" }));

  const input = screen.getByLabelText("Executor memory");
  await waitFor(() => expect(input).toHaveAttribute("aria-invalid", "true"));
  expect(input).toHaveAccessibleDescription(expect.stringContaining("'4 GB' is not a JVM memory size"));
  expect(input).toHaveFocus();
  expect(argsOf(calls, "submit_job")).toEqual([]);
});

test("the engine's error on a closed Resources field opens the section at that field", async () => {
  mockBackend({
    cluster_names: () => ["default"],
    submit_job: () => refuse("invalid", "'x:y' is not a Maven coordinate group:artifact:version", "packages"),
  });
  const { user } = renderForm(["/w/run.py"]);
  expect(screen.getByLabelText("Maven packages")).not.toBeVisible();

  await user.click(screen.getByRole("button", { name: "Submit" }));

  const packages = screen.getByLabelText("Maven packages");
  await waitFor(() => expect(packages).toHaveAttribute("aria-invalid", "true"));
  expect(packages).toBeVisible();
  expect(packages).toHaveAccessibleDescription(expect.stringContaining("is not a Maven coordinate"));
  expect(packages).toHaveFocus();
});
