import { expect, test } from "vitest";
import { checkGroupForm, inlineGroupFields, newGroupForm, toGroupForm } from "./groupForm";
import { BUILT_IN_DEFAULTS } from "./jobForm";

test("a new form starts from the job defaults with one driver", () => {
  const form = newGroupForm({ clusterName: "lab", language: "SCALA", jobConfig: "spark.driver.memory=1g" });
  expect(form).toMatchObject({ kind: "JOB", language: "SCALA", clusterName: "lab", scale: 1 });
  expect(form.config.map(({ name, value }) => [name, value])).toEqual([["spark.driver.memory", "1g"]]);
});

test("a code group is sent in its language; a Python one with its requirements", () => {
  const form = { ...newGroupForm(BUILT_IN_DEFAULTS), kind: "CODE" as const, language: "PYTHON" as const };
  form.requirements = " pandas \n\n numpy;scipy ";
  expect(toGroupForm(form)).toMatchObject({ kind: "CODE", language: "PYTHON", pyRequirements: "pandas;numpy;scipy" });
  expect(inlineGroupFields(form).has("pyRequirements")).toBe(true);
  expect(toGroupForm({ ...form, language: "SQL" })).toMatchObject({ kind: "CODE", language: "SQL" });
  expect(toGroupForm({ ...form, language: "SCALA" })).toMatchObject({ kind: "CODE", language: "SCALA" });
  expect(toGroupForm({ ...form, kind: "JOB", language: "SQL" }).language).toBe("PYTHON");
});

test("JVM groups send no requirements, and show no error for them inline", () => {
  const form = { ...newGroupForm(BUILT_IN_DEFAULTS), language: "SCALA" as const, requirements: "pandas" };
  expect(toGroupForm(form).pyRequirements).toBeUndefined();
  expect(inlineGroupFields(form).has("pyRequirements")).toBe(false);
});

test("the scale must be a whole number from 0 to 16", () => {
  const form = newGroupForm(BUILT_IN_DEFAULTS);
  for (const scale of [0, 16]) expect(checkGroupForm({ ...form, scale })).toBeNull();
  for (const scale of [null, -1, 17, 1.5]) {
    expect(checkGroupForm({ ...form, scale })).toEqual({ field: "scale", message: "must be a whole number from 0 to 16" });
  }
});

test("jar watching is sent only with jars to watch", () => {
  const form = { ...newGroupForm(BUILT_IN_DEFAULTS), language: "SCALA" as const, watchJars: true };
  expect(toGroupForm(form).watchJars).toBe(false);
  form.jars = ["/home/me/build/jobs.jar"];
  expect(toGroupForm(form)).toMatchObject({ jars: ["/home/me/build/jobs.jar"], watchJars: true });
  expect(inlineGroupFields(form).has("jarPaths")).toBe(true);
});
