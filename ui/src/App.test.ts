import { render, screen } from "@testing-library/svelte";
import { expect, test } from "vitest";
import { clusterView, mockBackend, pageOf } from "./test-fixtures";
import App from "./App.svelte";

test("the shell shows the brand, the navigation and the Clusters page", async () => {
  mockBackend({ list_clusters: () => pageOf([clusterView()]) });
  render(App);

  expect(screen.getByText("Sparkdeck")).toBeInTheDocument();
  expect(screen.getByRole("link", { name: "Clusters" })).toHaveAttribute("aria-current", "page");
  expect(screen.getByRole("heading", { level: 1, name: "Clusters" })).toBeInTheDocument();
  expect(await screen.findByRole("rowheader", { name: "default" })).toBeInTheDocument();
});
