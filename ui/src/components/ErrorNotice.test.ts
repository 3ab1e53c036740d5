import { render, screen, within } from "@testing-library/svelte";
import { afterEach, expect, test } from "vitest";
import ErrorNotice from "./ErrorNotice.svelte";

afterEach(() => {
  location.hash = "";
});

test("Java missing: titled, the backend's message, and a link to Settings", () => {
  render(ErrorNotice, { error: { code: "unavailable", field: null, message: "Java 17+ is required, /usr/bin/java is 11: install a newer JDK or set JAVA_HOME" } });
  const notice = screen.getByRole("alert");
  expect(notice).toHaveTextContent("Java is not available on this machine");
  expect(notice).toHaveTextContent("Java 17+ is required, /usr/bin/java is 11");
  expect(within(notice).getByRole("link", { name: "Settings" })).toHaveAttribute("href", "#/settings");
});

test("in a job's own window Settings are named, not linked (it has no navigation)", () => {
  location.hash = "#/job/j-1";
  render(ErrorNotice, { error: { code: "unavailable", field: null, message: "no Spark found; run `make setup`" } });
  const notice = screen.getByRole("alert");
  expect(notice).toHaveTextContent("Spark is not available on this machine");
  expect(notice).toHaveTextContent("Settings in the main window show the Java and Spark");
  expect(within(notice).queryByRole("link")).not.toBeInTheDocument();
});

test("an unreachable cluster is said so, without the Settings pointer", () => {
  render(ErrorNotice, {
    error: { code: "unavailable", field: null, message: "cannot reach the API server at https://k8s:6443: connection refused" },
  });
  const notice = screen.getByRole("alert");
  expect(notice).toHaveTextContent("The cluster cannot be reached");
  expect(notice).toHaveTextContent("Cannot reach the API server at https://k8s:6443: connection refused");
  expect(within(notice).queryByRole("link")).not.toBeInTheDocument();
});

test("an unavailable error of no known kind gets the generic title", () => {
  render(ErrorNotice, { error: { code: "unavailable", field: null, message: "the thing is gone" } });
  expect(screen.getByRole("alert")).toHaveTextContent(/^Not available\s*The thing is gone$/);
});

test("an internal error says it is Sparkdeck's", () => {
  render(ErrorNotice, { error: { code: "internal", field: null, message: "row 3 has no state" } });
  expect(screen.getByRole("alert")).toHaveTextContent(/^Something went wrong in Sparkdeck\s*Row 3 has no state$/);
});

test("other errors are one sentence, after the lead", () => {
  render(ErrorNotice, { error: { code: "conflict", field: null, message: "job 'j-1' has already ended" }, lead: "Could not stop:" });
  expect(screen.getByRole("alert")).toHaveTextContent(/^Could not stop: Job 'j-1' has already ended$/);
});
