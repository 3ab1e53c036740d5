import { expect, test } from "vitest";
import { BUILT_IN_DEFAULTS, checkJobForm, newJobForm, toJobForm } from "./jobForm";

test("a drop on the jobs page starts the form with its files and name", () => {
  const form = newJobForm(BUILT_IN_DEFAULTS, ["/w/nightly.jar", "/w/conf.json"]);
  expect(form).toMatchObject({ name: "nightly", language: "SCALA", jars: ["/w/nightly.jar"], files: ["/w/conf.json"] });
});

test("saved job defaults fill a new form", () => {
  const form = newJobForm({ clusterName: "big", language: "SCALA", jobConfig: "spark.a=1;spark.b=2" });
  expect(form.clusterName).toBe("big");
  expect(form.language).toBe("SCALA");
  expect(form.config.map((row) => [row.name, row.value])).toEqual([["spark.a", "1"], ["spark.b", "2"]]);
});

test("each language sends only its own inputs", () => {
  const form = newJobForm(BUILT_IN_DEFAULTS, ["/w/main.py"]);
  form.jobClass = "com.example.Left";
  form.requirements = "pandas==2.2\n numpy ; \n";
  expect(toJobForm(form)).toMatchObject({ jobClass: undefined, pyRequirements: "pandas==2.2;numpy" });
  form.language = "SCALA";
  expect(toJobForm(form)).toMatchObject({ jobClass: "com.example.Left", pyRequirements: undefined });
});

test("an argument with ';' is refused before sending, since ';' separates them", () => {
  const form = newJobForm(BUILT_IN_DEFAULTS);
  form.args = [{ key: 1, value: "a;b" }];
  expect(checkJobForm(form)).toEqual({ field: "args", message: expect.stringContaining("';'") });
});

test("saved defaults are taken as written; the backend judges them when the job is sent", () => {
  const form = newJobForm({ clusterName: "big", language: "PYTHON", jobConfig: " spark.a = x=1 ;; odd " });
  expect(form.config.map((row) => [row.name, row.value])).toEqual([["spark.a", "x=1"], ["odd", ""]]);
  expect(toJobForm(form).jobConfig).toBe("spark.a=x=1;odd=");
});
