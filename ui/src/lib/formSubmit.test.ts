import { render, screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { expect, test, vi } from "vitest";
import { argsOf, clusterView, mockBackend, refuse } from "../test-fixtures";
import FormSubmitProbe from "../test-harness/FormSubmitProbe.svelte";

function setup(create: () => unknown) {
  const calls = mockBackend({ create_cluster: create });
  const onsaved = vi.fn();
  render(FormSubmitProbe, { onsaved });
  return { calls, onsaved, user: userEvent.setup(), name: () => screen.getByLabelText("Name") };
}

test("a local check is shown next to its input, focused, and nothing is sent", async () => {
  const { calls, user, name } = setup(() => clusterView());
  await user.type(name(), "a b");
  await user.click(screen.getByRole("button", { name: "Save" }));

  expect(name()).toHaveAttribute("aria-invalid", "true");
  expect(name()).toHaveAccessibleDescription(expect.stringContaining("cannot contain spaces"));
  expect(name()).toHaveFocus();
  expect(argsOf(calls, "create_cluster")).toEqual([]);
});

test("a refusal of an inline field lands next to it; others go on top, focused", async () => {
  let answer = () => refuse("invalid", "is taken", "name");
  const { user, name, onsaved } = setup(() => answer());
  await user.type(name(), "alpha");
  await user.click(screen.getByRole("button", { name: "Save" }));
  await waitFor(() => expect(name()).toHaveAccessibleDescription(expect.stringContaining("is taken")));

  answer = () => refuse("invalid", "must be set", "url");
  await user.click(screen.getByRole("button", { name: "Save" }));
  const top = await screen.findByRole("alert");
  expect(top).toHaveTextContent("Url must be set");
  await waitFor(() => expect(top).toHaveFocus());
  expect(name()).not.toHaveAttribute("aria-invalid");
  expect(onsaved).not.toHaveBeenCalled();
});

test("one send at a time; the answer goes to done and clears the error", async () => {
  let release: (value: unknown) => void = () => {};
  const { calls, user, name, onsaved } = setup(() => new Promise((resolve) => (release = resolve)));
  await user.type(name(), "alpha");
  await user.click(screen.getByRole("button", { name: "Save" }));

  expect(screen.getByRole("button", { name: "Save" })).toBeDisabled();
  name().focus();
  await user.keyboard("{Enter}");
  expect(argsOf(calls, "create_cluster")).toHaveLength(1);
  release(clusterView({ name: "alpha" }));
  await waitFor(() => expect(onsaved).toHaveBeenCalledWith(expect.objectContaining({ name: "alpha" })));
  expect(screen.getByRole("button", { name: "Save" })).toBeEnabled();
});
