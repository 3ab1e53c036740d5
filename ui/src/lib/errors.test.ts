import { expect, test } from "vitest";
import { placeError, unavailableTitle } from "./errors";

test("an unavailable error is titled from its message", () => {
  const title = (message: string) => unavailableTitle(message).title;
  expect(title("cannot upload /w/a.py to s3://spark-jobs/a.py: timed out")).toBe("The cluster's storage cannot be reached");
  expect(title("the API server at https://h:6443 refused the credentials (401 Unauthorized)")).toBe("The cluster refused access");
  expect(title("the TLS handshake with https://h:6443 failed (bad cert): check caCert")).toBe("The cluster cannot be reached");
  expect(title("cannot reach the master at 127.0.0.1:7077: connection refused")).toBe("The cluster cannot be reached");
  expect(title("the driver agent (driver/sparkdeck_driver.py) was not found")).toBe("The driver agent is not available");
  expect(unavailableTitle("Java 17+ is required, /usr/bin/java is 11")).toEqual({ title: "Java is not available on this machine", settings: true });
  expect(unavailableTitle("SPARK_HOME=/opt/x is not a directory")).toEqual({ title: "Spark is not available on this machine", settings: true });
  expect(unavailableTitle("something else")).toEqual({ title: "Not available", settings: false });
});

test("unavailable and internal errors go on top even when they name a shown field", () => {
  for (const code of ["unavailable", "internal"] as const) {
    const placed = placeError({ code, field: "name", message: "is gone" }, new Set(["name"]));
    expect(placed.top).toBe("Name is gone");
    expect(placed.of("name")).toBeUndefined();
  }
  const invalid = placeError({ code: "invalid", field: "name", message: "is required" }, new Set(["name"]));
  expect([invalid.top, invalid.of("name")]).toEqual([null, "is required"]);
});
