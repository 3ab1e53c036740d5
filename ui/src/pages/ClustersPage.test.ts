import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { expect, test } from "vitest";
import { events } from "../lib/bindings";
import { argsOf, clusterView, mockBackend, pageOf, refuse } from "../test-fixtures";
import ClustersPage from "./ClustersPage.svelte";

const local = clusterView();
const prod = clusterView({
  id: "c-prod",
  name: "prod",
  type: "standalone",
  sparkMaster: "spark://prod:7077",
  url: "spark://prod:7077",
  description: "Nightly ETL",
  threads: undefined,
});

const lastQuery = (calls: ReturnType<typeof mockBackend>) => argsOf(calls, "list_clusters").at(-1)?.query;

test("lists the clusters of the first page, sorted by name", async () => {
  const calls = mockBackend({ list_clusters: () => pageOf([local, prod]) });
  render(ClustersPage);

  expect(await screen.findByRole("rowheader", { name: "prod" })).toBeInTheDocument();
  const row = screen.getByRole("rowheader", { name: "prod" }).closest("tr")!;
  expect(within(row).getByText("spark://prod:7077")).toBeInTheDocument();
  expect(within(row).getByText("Standalone")).toBeInTheDocument();
  expect(within(row).getByText("Nightly ETL")).toBeInTheDocument();
  expect(lastQuery(calls)).toEqual({ search: null, page: { page: 0, size: 10, sort: [{ field: "name", direction: "asc" }] } });
  expect(screen.getByRole("columnheader", { name: /Name/ })).toHaveAttribute("aria-sort", "ascending");
});

test("search, sort and paging are passed to the backend", async () => {
  const calls = mockBackend({ list_clusters: ({ query }) => pageOf([local], query.page.page, 10, 25) });
  const user = userEvent.setup();
  render(ClustersPage);
  await screen.findByRole("rowheader", { name: "default" });

  await user.click(screen.getByRole("button", { name: "Next" }));
  await waitFor(() => expect(lastQuery(calls).page.page).toBe(1));

  await user.type(screen.getByLabelText("Search clusters"), "etl");
  await waitFor(() => expect(lastQuery(calls)).toMatchObject({ search: "etl", page: { page: 0 } }));

  await user.click(screen.getByRole("button", { name: /Updated/ }));
  await waitFor(() => expect(lastQuery(calls).page.sort).toEqual([{ field: "updatedTime", direction: "asc" }]));
  await user.click(screen.getByRole("button", { name: /Updated/ }));
  await waitFor(() => expect(lastQuery(calls).page.sort).toEqual([{ field: "updatedTime", direction: "desc" }]));
  expect(screen.getByRole("columnheader", { name: /Updated/ })).toHaveAttribute("aria-sort", "descending");
});

test("a search that finds nothing says what to do", async () => {
  mockBackend({ list_clusters: ({ query }) => pageOf(query.search ? [] : [local]) });
  const user = userEvent.setup();
  render(ClustersPage);
  await screen.findByRole("rowheader", { name: "default" });

  await user.type(screen.getByLabelText("Search clusters"), "nope");
  expect(await screen.findByRole("heading", { name: "No cluster matches “nope”" })).toBeInTheDocument();

  await user.click(screen.getByRole("button", { name: "Clear search" }));
  expect(await screen.findByRole("rowheader", { name: "default" })).toBeInTheDocument();
});

test("New cluster opens the form focused on its first field and creates the cluster", async () => {
  const calls = mockBackend({
    list_clusters: () => pageOf([local]),
    create_cluster: ({ input }) => clusterView({ ...input, id: "c-new" }),
  });
  const user = userEvent.setup();
  render(ClustersPage);
  await screen.findByRole("rowheader", { name: "default" });

  await user.click(screen.getByRole("button", { name: "New cluster" }));
  const dialog = screen.getByRole("dialog", { name: "New cluster" });
  expect(within(dialog).getByLabelText("Name")).toHaveFocus();
  await user.keyboard("laptop");
  await user.type(within(dialog).getByLabelText("Threads"), "2{Enter}");

  expect(argsOf(calls, "create_cluster")).toEqual([{ input: { name: "laptop", description: "", type: "local", threads: 2 } }]);
  await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
  expect(screen.getByRole("status")).toHaveTextContent("Saved cluster “laptop”.");
});

test("Escape closes the form", async () => {
  mockBackend({ list_clusters: () => pageOf([local]) });
  const user = userEvent.setup();
  render(ClustersPage);
  await screen.findByRole("rowheader", { name: "default" });

  await user.click(screen.getByRole("button", { name: "Edit default" }));
  expect(screen.getByRole("dialog", { name: "Edit “default”" })).toBeInTheDocument();
  await user.keyboard("{Escape}");

  expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
});

test("delete asks for confirmation, then deletes", async () => {
  const calls = mockBackend({ list_clusters: () => pageOf([local, prod]), delete_cluster: () => null });
  const user = userEvent.setup();
  render(ClustersPage);

  await user.click(await screen.findByRole("button", { name: "Delete prod" }));
  const dialog = screen.getByRole("alertdialog", { name: "Delete cluster “prod”?" });
  expect(within(dialog).getByRole("button", { name: "Cancel" })).toHaveFocus();
  expect(argsOf(calls, "delete_cluster")).toEqual([]);

  await user.click(within(dialog).getByRole("button", { name: "Delete" }));

  expect(argsOf(calls, "delete_cluster")).toEqual([{ id: "c-prod", force: false }]);
  await waitFor(() => expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument());
});

test("a refused delete shows the backend's message", async () => {
  mockBackend({
    list_clusters: () => pageOf([local, prod]),
    delete_cluster: () => refuse("conflict", "cluster 'prod' is used by 2 running jobs", null),
  });
  const user = userEvent.setup();
  render(ClustersPage);

  await user.click(await screen.findByRole("button", { name: "Delete prod" }));
  await user.click(screen.getByRole("button", { name: "Delete" }));

  const dialog = screen.getByRole("alertdialog");
  expect(await within(dialog).findByRole("alert")).toHaveTextContent("used by 2 running jobs");
});

test("the default cluster offers no delete", async () => {
  mockBackend({ list_clusters: () => pageOf([local, prod]) });
  render(ClustersPage);
  expect(await screen.findByRole("button", { name: "Edit default" })).toBeInTheDocument();
  expect(screen.queryByRole("button", { name: "Delete default" })).toBeNull();
  expect(screen.getByRole("button", { name: "Delete prod" })).toBeInTheDocument();
});

test("a cluster event re-queries the current page", async () => {
  let content = [local];
  const calls = mockBackend({ list_clusters: () => pageOf(content) });
  render(ClustersPage);
  await screen.findByRole("rowheader", { name: "default" });

  content = [local, prod];
  await events.engineChanged.emit({ kind: "clusterChanged", cluster: prod });

  expect(await screen.findByRole("rowheader", { name: "prod" })).toBeInTheDocument();
  expect(argsOf(calls, "list_clusters")).toHaveLength(2);
});

const kubeconfig = {
  path: "/home/me/.kube/config",
  contexts: [
    { context: "kind-dev", name: "kind-dev", url: "https://127.0.0.1:6443", namespace: "spark", auth: "client certificate", error: null },
    { context: "user@prod", name: "user-prod", url: "https://prod:6443", namespace: null, auth: "token", error: null },
    {
      context: "eks",
      name: "eks",
      url: "https://eks.example",
      namespace: null,
      auth: "none",
      error: "authenticates with an exec plugin (users[].user.exec), which Sparkdeck cannot run",
    },
  ],
};

test("kubeconfig contexts are imported under the names chosen; a refused name stays to fix", async () => {
  let attempt = 0;
  const calls = mockBackend({
    list_clusters: () => pageOf([local]),
    pick_kubeconfig: () => kubeconfig,
    import_kubeconfig: ({ imports }) =>
      imports.map(({ context, name }: { context: string; name: string }) =>
        context === "user@prod" && attempt++ === 0
          ? { context, cluster: null, error: { code: "invalid", message: "a cluster named 'prod' already exists", field: "name" } }
          : { context, cluster: clusterView({ id: `c-${name}`, name, type: "k8s" }), error: null },
      ),
  });
  const user = userEvent.setup();
  render(ClustersPage);
  await user.click(await screen.findByRole("button", { name: "Import from kubeconfig…" }));

  const dialog = await screen.findByRole("dialog", { name: "Import Kubernetes clusters" });
  expect(within(dialog).getByText(/exec plugin/)).toBeInTheDocument();
  expect(within(dialog).getByRole("checkbox", { name: "Import eks" })).toBeDisabled();
  const prodName = within(dialog).getByLabelText("Cluster name for user@prod");
  await user.clear(prodName);
  await user.type(prodName, "prod");
  await user.click(within(dialog).getByRole("button", { name: "Import 2 clusters" }));

  expect(argsOf(calls, "import_kubeconfig")[0]).toEqual({
    path: "/home/me/.kube/config",
    imports: [
      { context: "kind-dev", name: "kind-dev" },
      { context: "user@prod", name: "prod" },
    ],
  });
  expect(await within(dialog).findByText("✓ imported as kind-dev")).toBeInTheDocument();
  const refused = within(dialog).getByLabelText("Cluster name for user@prod");
  expect(refused).toHaveAttribute("aria-invalid", "true");
  expect(refused).toHaveAccessibleDescription("a cluster named 'prod' already exists");

  await user.clear(refused);
  await user.type(refused, "prod-2");
  await user.click(within(dialog).getByRole("button", { name: "Import 1 cluster" }));
  expect(argsOf(calls, "import_kubeconfig")[1].imports).toEqual([{ context: "user@prod", name: "prod-2" }]);
  await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
  expect(screen.getByRole("status")).toHaveTextContent("Imported “kind-dev”, “prod-2”.");
});

test("a file that is not a kubeconfig is reported and nothing opens", async () => {
  mockBackend({
    list_clusters: () => pageOf([local]),
    pick_kubeconfig: () => refuse("invalid", "is not a kubeconfig file: missing field `contexts`", "kubeconfig"),
  });
  const user = userEvent.setup();
  render(ClustersPage);
  await user.click(await screen.findByRole("button", { name: "Import from kubeconfig…" }));

  expect(await screen.findByRole("alert")).toHaveTextContent("Kubeconfig is not a kubeconfig file");
  expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
});
