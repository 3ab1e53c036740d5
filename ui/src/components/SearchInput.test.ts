import { render, screen } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { expect, test, vi } from "vitest";
import SearchInput from "./SearchInput.svelte";

test("a labelled search box that reports each keystroke", async () => {
  const oninput = vi.fn();
  render(SearchInput, { id: "s", label: "Search jobs", placeholder: "Search job names", value: "wo", oninput });
  const input = screen.getByRole("searchbox", { name: "Search jobs" });
  expect(input).toHaveAttribute("placeholder", "Search job names");
  expect(input).toHaveValue("wo");

  await userEvent.setup().type(input, "rd");
  expect(input).toHaveValue("word");
  expect(oninput).toHaveBeenCalledTimes(2);
});
