import { render, screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { expect, test, vi } from "vitest";
import { argsOf, clusterView, mockBackend, refuse } from "../test-fixtures";
import ClusterForm from "./ClusterForm.svelte";

function renderForm(cluster?: ReturnType<typeof clusterView>) {
  const onsaved = vi.fn();
  const oncancel = vi.fn();
  render(ClusterForm, { cluster, onsaved, oncancel });
  return { onsaved, oncancel, user: userEvent.setup() };
}

test("creating sends only the chosen type's fields", async () => {
  const calls = mockBackend({ create_cluster: ({ input }) => clusterView({ ...input, id: "c1" }) });
  const { user, onsaved } = renderForm();

  await user.type(screen.getByLabelText("Name"), "spark-prod");
  await user.type(screen.getByLabelText("Threads"), "4"); // typed while local, then left behind
  await user.click(screen.getByRole("radio", { name: /Standalone/ }));
  await user.type(screen.getByLabelText("Master URL"), "spark://prod:7077");
  await user.type(screen.getByLabelText("Web UI URL"), "http://prod:8080{Enter}");

  expect(argsOf(calls, "create_cluster")).toEqual([
    {
      input: {
        name: "spark-prod",
        description: "",
        type: "standalone",
        url: "spark://prod:7077",
        webUiUrl: "http://prod:8080",
      },
    },
  ]);
  expect(onsaved).toHaveBeenCalledWith(expect.objectContaining({ id: "c1", name: "spark-prod" }));
});

test("a Kubernetes cluster sends its auth, storages and Spark defaults", async () => {
  const calls = mockBackend({ create_cluster: ({ input }) => clusterView({ name: input.name }) });
  const { user } = renderForm();

  await user.type(screen.getByLabelText("Name"), "kube");
  await user.click(screen.getByRole("radio", { name: /Kubernetes/ }));
  await user.type(screen.getByLabelText("API server URL"), "https://kube:6443");
  await user.type(screen.getByLabelText("Token"), "s3cret");
  await user.click(screen.getByRole("button", { name: "Add storage" }));
  expect(screen.getByLabelText("Name", { selector: "[id^=storage-]" })).toHaveFocus();
  await user.keyboard("main");
  await user.type(screen.getByLabelText("Spark bucket"), "jobs");
  await user.selectOptions(screen.getByLabelText("Storage for Spark files"), "main");
  await user.click(screen.getByRole("button", { name: "Add property" }));
  await user.keyboard("spark.kubernetes.namespace");
  await user.type(screen.getByLabelText("Value 1"), "spark");
  await user.click(screen.getByRole("button", { name: "Create cluster" }));

  expect(argsOf(calls, "create_cluster")[0].input).toEqual({
    name: "kube",
    description: "",
    type: "k8s",
    url: "https://kube:6443",
    token: "s3cret",
    storages: { main: { type: "s3", sparkBucket: "jobs" } },
    sparkStorage: "main",
    defaultApplicationConfig: { "spark.kubernetes.namespace": "spark" },
  });
});

test("a backend error on url shows next to the URL input and keeps the form", async () => {
  const message = "'spark//prod' is not a master URL such as spark://host:7077";
  mockBackend({ create_cluster: () => refuse("invalid", message, "url") });
  const { user, onsaved, oncancel } = renderForm();

  await user.type(screen.getByLabelText("Name"), "prod");
  await user.click(screen.getByRole("radio", { name: /Standalone/ }));
  await user.type(screen.getByLabelText("Master URL"), "spark//prod{Enter}");

  const url = await screen.findByLabelText("Master URL");
  expect(url).toHaveAttribute("aria-invalid", "true");
  expect(url).toHaveAccessibleDescription(expect.stringContaining(message));
  expect(url).toHaveFocus();
  expect(url).toHaveValue("spark//prod");
  expect(screen.getByLabelText("Name")).toHaveValue("prod");
  expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  expect(onsaved).not.toHaveBeenCalled();
  expect(oncancel).not.toHaveBeenCalled();
});

test("an error about a storage lands on that storage's input", async () => {
  mockBackend({ update_cluster: () => refuse("invalid", "'A_B' is not a valid bucket name", "storages.main.sparkBucket") });
  const { user } = renderForm(
    clusterView({
      type: "k8s",
      url: "https://kube:6443",
      storages: {
        logs: { type: "s3", sparkBucket: "logs", dataBucket: "", endpoint: "", accessKey: "", secretKey: null },
        main: { type: "s3", sparkBucket: "A_B", dataBucket: "", endpoint: "", accessKey: "", secretKey: null },
      },
    }),
  );

  await user.click(screen.getByRole("button", { name: "Save changes" }));

  const [logs, main] = screen.getAllByLabelText("Spark bucket");
  expect(main).toHaveAttribute("aria-invalid", "true");
  expect(main).toHaveAccessibleDescription(expect.stringContaining("is not a valid bucket name"));
  expect(logs).not.toHaveAttribute("aria-invalid");
});

test("an error about a field the form does not show goes on top", async () => {
  mockBackend({ create_cluster: () => refuse("internal", "the database is locked") });
  const { user } = renderForm();

  await user.type(screen.getByLabelText("Name"), "x{Enter}");

  expect(await screen.findByRole("alert")).toHaveTextContent("The database is locked");
  expect(screen.getByLabelText("Name")).toHaveValue("x");
});

test("a missing name is caught before calling the backend", async () => {
  const calls = mockBackend({});
  const { user } = renderForm();

  await user.click(screen.getByRole("button", { name: "Create cluster" }));

  expect(screen.getByLabelText("Name")).toHaveAccessibleDescription(expect.stringContaining("is required"));
  expect(calls).toEqual([]);
});

test("editing keeps stored secrets unless replaced or removed", async () => {
  const calls = mockBackend({ update_cluster: ({ input }) => clusterView({ name: input.name }) });
  const { user } = renderForm(
    clusterView({
      id: "c-kube",
      name: "kube",
      type: "k8s",
      url: "https://kube:6443",
      username: "admin",
      password: "******",
      token: "******",
    }),
  );

  expect(screen.getByLabelText("Password")).toHaveValue("");
  expect(screen.getByLabelText("Password")).toHaveAccessibleDescription("Set — leave blank to keep it unchanged.");
  await user.type(screen.getByLabelText("Password"), "new-pass");
  const [, removeToken] = screen.getAllByLabelText("Remove the stored value");
  await user.click(removeToken);
  await user.click(screen.getByRole("button", { name: "Save changes" }));

  const [{ id, input }] = argsOf(calls, "update_cluster");
  expect(id).toBe("c-kube");
  expect(input).toEqual({
    name: "kube",
    description: "This machine",
    type: "k8s",
    url: "https://kube:6443",
    username: "admin",
    password: "new-pass",
    token: "",
  });
});

test("Cancel leaves without saving", async () => {
  const calls = mockBackend({});
  const { user, oncancel } = renderForm();

  await user.click(screen.getByRole("button", { name: "Cancel" }));

  expect(oncancel).toHaveBeenCalledOnce();
  expect(calls).toEqual([]);
});

test("Choose file puts the picked file's text into the PEM input", async () => {
  const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  const calls = mockBackend({ pick_text_file: () => ({ path: "/home/me/ca.pem", text: pem }) });
  const { user } = renderForm(clusterView({ type: "k8s", url: "https://kube:6443" }));

  await user.click(screen.getByRole("button", { name: "Choose CA certificate file" }));

  expect(argsOf(calls, "pick_text_file")).toEqual([{ title: "Choose CA certificate file", field: "caCert" }]);
  await waitFor(() => expect(screen.getByLabelText("CA certificate")).toHaveValue(pem));
});

test("a file the backend cannot read is reported next to its input", async () => {
  mockBackend({
    pick_text_file: ({ field }) => refuse("invalid", "/tmp/big.bin is 5000000 bytes; a certificate or key is at most 1 MiB", field),
  });
  const { user } = renderForm(clusterView({ type: "k8s", url: "https://kube:6443" }));

  await user.click(screen.getByRole("button", { name: "Choose client key file" }));

  const key = screen.getByLabelText("Client key");
  await waitFor(() => expect(key).toHaveAttribute("aria-invalid", "true"));
  expect(key).toHaveAccessibleDescription(expect.stringContaining("is at most 1 MiB"));
  expect(key).toHaveFocus();
});

test("test connection tries the form as entered, saves nothing and says what it found", async () => {
  const calls = mockBackend({
    test_cluster_connection: () => "Spark 4.3.0 with Java 17 on this machine; master ALIVE with 2 workers",
  });
  const { user, onsaved } = renderForm();

  await user.type(screen.getByLabelText("Name"), "lab");
  await user.click(screen.getByRole("radio", { name: /Standalone/ }));
  await user.type(screen.getByLabelText("Master URL"), "spark://127.0.0.1:7077");
  await user.click(screen.getByRole("button", { name: "Test connection" }));

  expect(await screen.findByRole("status")).toHaveTextContent("master ALIVE with 2 workers");
  expect(argsOf(calls, "test_cluster_connection")).toEqual([
    { id: null, input: { name: "lab", description: "", type: "standalone", url: "spark://127.0.0.1:7077" } },
  ]);
  expect(calls.some((c) => c.cmd === "create_cluster")).toBe(false);
  expect(onsaved).not.toHaveBeenCalled();
});

test("a failed connection test names the cause next to the field it is about", async () => {
  mockBackend({
    test_cluster_connection: () => refuse("invalid", "cannot reach the master at 127.0.0.1:7077: connection refused", "url"),
  });
  const { user } = renderForm(clusterView({ id: "c9", name: "lab", type: "standalone", url: "spark://127.0.0.1:7077" }));

  await user.click(screen.getByRole("button", { name: "Test connection" }));

  const url = await screen.findByLabelText("Master URL");
  await waitFor(() => expect(url).toHaveAttribute("aria-invalid", "true"));
  expect(url).toHaveAccessibleDescription(expect.stringContaining("connection refused"));
  expect(screen.getByRole("status")).not.toHaveTextContent("✓");
});
