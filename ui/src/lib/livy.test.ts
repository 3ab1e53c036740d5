import { expect, test } from "vitest";
import { livyUrls, sparkmagicConfig } from "./livy";

test("Livy is served under /livy on the API port, and at the root of its own port when that is on", () => {
  expect(livyUrls(9888, { enabled: false, port: 8998 })).toEqual(["http://127.0.0.1:9888/livy"]);
  expect(livyUrls(9888, { enabled: true, port: 8998 })).toEqual(["http://127.0.0.1:9888/livy", "http://127.0.0.1:8998"]);
});

test("the sparkmagic configuration has Python and Scala credentials with Basic auth and the token as password, and room for a slow start", () => {
  const config = JSON.parse(sparkmagicConfig("http://127.0.0.1:8998", "t0ken"));
  const credentials = { url: "http://127.0.0.1:8998", auth: "Basic_Access", username: "sparkdeck", password: "t0ken" };
  expect(config).toEqual({
    kernel_python_credentials: credentials,
    kernel_scala_credentials: credentials,
    livy_session_startup_timeout_seconds: 180,
  });
});
