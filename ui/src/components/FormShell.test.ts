import { render, screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { expect, test, vi } from "vitest";
import { clusterView, mockBackend, refuse } from "../test-fixtures";
import FormSubmitProbe from "../test-harness/FormSubmitProbe.svelte";

test("Cancel shows only when the form can be cancelled", async () => {
  mockBackend({});
  const oncancel = vi.fn();
  const { unmount } = render(FormSubmitProbe, { onsaved: vi.fn() });
  expect(screen.queryByRole("button", { name: "Cancel" })).not.toBeInTheDocument();
  unmount();

  render(FormSubmitProbe, { onsaved: vi.fn(), oncancel });
  await userEvent.setup().click(screen.getByRole("button", { name: "Cancel" }));
  expect(oncancel).toHaveBeenCalledOnce();
});

test("while sending the button is busy, says so, and the progress line shows", async () => {
  let release: (value: unknown) => void = () => {};
  mockBackend({ create_cluster: () => new Promise((resolve) => (release = resolve)) });
  render(FormSubmitProbe, { onsaved: vi.fn(), busyLabel: "Saving…", progress: "Copying files…" });
  const user = userEvent.setup();
  await user.type(screen.getByLabelText("Name"), "alpha{Enter}");

  const busy = screen.getByRole("button", { name: "Saving…" });
  expect(busy).toBeDisabled();
  expect(busy).toHaveAttribute("aria-busy", "true");
  expect(screen.getByRole("status")).toHaveTextContent("Copying files…");
  release(clusterView());
  await waitFor(() => expect(screen.getByRole("button", { name: "Save" })).toBeEnabled());
  expect(screen.getByRole("status")).toHaveTextContent("");
});

test("an unavailable refusal is a titled notice on top, focused, with no input marked", async () => {
  mockBackend({ create_cluster: () => refuse("unavailable", "no Spark found (no SPARK_HOME); run `make setup`") });
  render(FormSubmitProbe, { onsaved: vi.fn() });
  await userEvent.setup().type(screen.getByLabelText("Name"), "alpha{Enter}");

  const notice = await screen.findByRole("alert");
  expect(notice).toHaveTextContent("Spark is not available on this machine");
  expect(notice).toHaveTextContent("No Spark found (no SPARK_HOME); run `make setup`");
  await waitFor(() => expect(notice).toHaveFocus());
  expect(screen.getByLabelText("Name")).not.toHaveAttribute("aria-invalid");
});
