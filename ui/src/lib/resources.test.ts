import { expect, test } from "vitest";
import { checkResources, newResources, packagesText, resourcesFrom, toResourceFields, type ResourcesState } from "./resources";

const withValues = (values: Partial<ResourcesState>): ResourcesState => ({ ...newResources(), ...values });

test.each([
  [{ driverMemory: "512m" }, null],
  [{ driverMemory: "4G", executorMemory: "1t" }, null],
  [{ driverMemory: "4gb" }, "driverMemory"],
  [{ executorMemory: "0g" }, "executorMemory"],
  [{ executorMemory: "1.5g" }, "executorMemory"],
  [{ driverCores: "0" }, "driverCores"],
  [{ executorCores: "two" }, "executorCores"],
  [{ executors: "-1" }, "executors"],
  [{ dynamicAllocation: true, minExecutors: "0", initialExecutors: "2", maxExecutors: "4" }, null],
  [{ dynamicAllocation: true, minExecutors: "5", maxExecutors: "4" }, "minExecutors"],
  [{ dynamicAllocation: true, minExecutors: "2", initialExecutors: "1" }, "initialExecutors"],
  [{ dynamicAllocation: true, maxExecutors: "2.5" }, "maxExecutors"],
  // Hidden with dynamic allocation off, so not checked (nor sent).
  [{ minExecutors: "x" }, null],
])("%o is refused at %s", (values, field) => {
  expect(checkResources(withValues(values))?.field ?? null).toBe(field);
});

test("a new form leaves out what is empty; an update sends it empty, to clear it", () => {
  expect(Object.values(toResourceFields(newResources())).every((v) => v === undefined)).toBe(true);
  expect(toResourceFields(newResources(), true)).toEqual({
    driverMemory: "",
    executorMemory: "",
    driverCores: "",
    executorCores: "",
    executors: "",
    dynamicAllocation: "",
    minExecutors: "",
    initialExecutors: "",
    maxExecutors: "",
    packages: "",
  });
});

test("stored settings come back as the form shows them", () => {
  const state = resourcesFrom({ driverMemory: "1g", executors: 2, dynamicAllocation: true, maxExecutors: 6 }, ["a:b:1", "c:d:2"]);
  expect(state).toEqual(withValues({ driverMemory: "1g", executors: "2", dynamicAllocation: true, maxExecutors: "6", packages: "a:b:1\nc:d:2" }));
  expect(packagesText(" a:b:1 ,\n\n c:d:2 ")).toBe("a:b:1,c:d:2");
  expect(packagesText(" \n")).toBeUndefined();
});
