import { expect, test } from "vitest";
import { CodeHistory } from "./codeHistory";
import { insertCompletion, nameStart, pythonCursor } from "./completion";
import { parseConfig } from "./requestConfig";

test("a config must be a JSON object; an empty one is {}", () => {
  expect(parseConfig("")).toEqual({ ok: true, value: {} });
  expect(parseConfig(' {"rows": 10, "deep": {"a": [1, null]}} ')).toEqual({
    ok: true,
    value: { rows: 10, deep: { a: [1, null] } },
  });
  expect(parseConfig("{rows: 10}")).toEqual({ ok: false, message: expect.stringMatching(/^Not valid JSON: /) });
  for (const text of ["[1]", "null", "3", '"x"']) {
    expect(parseConfig(text)).toEqual({ ok: false, message: expect.stringContaining("must be a JSON object") });
  }
});

test("a completion replaces the dotted name before the cursor, as the driver reads it", () => {
  expect(nameStart("x = spark.ra", 12)).toBe(4);
  expect(nameStart("1 + ", 4)).toBeNull();
  expect(nameStart("1abc", 4)).toBe(1);
  expect(insertCompletion("x = spark.ra", 12, "spark.range(")).toEqual({ code: "x = spark.range(", cursor: 16 });
  expect(insertCompletion("pri(1)\n", 3, "print(")).toEqual({ code: "print((1)\n", cursor: 6 });
  expect(insertCompletion("f(", 2, "x")).toEqual({ code: "f(x", cursor: 3 });
});

test("a completion of only the name's last part (Scala's REPL, SQL) replaces what follows the last dot", () => {
  expect(insertCompletion("val n = spark.ran", 17, "range")).toEqual({ code: "val n = spark.range", cursor: 19 });
  expect(insertCompletion("spark.read.js", 13, "json")).toEqual({ code: "spark.read.json", cursor: 15 });
  expect(insertCompletion("SELECT * FROM db.wor", 20, "words")).toEqual({ code: "SELECT * FROM db.words", cursor: 22 });
  expect(insertCompletion("SEL", 3, "SELECT")).toEqual({ code: "SELECT", cursor: 6 });
  expect(insertCompletion("spark.", 6, "range")).toEqual({ code: "spark.range", cursor: 11 });
  expect(insertCompletion("spark.", 6, "spark.range(")).toEqual({ code: "spark.range(", cursor: 12 });
});

test("the cursor is counted in code points, as Python counts", () => {
  expect(pythonCursor("s = '😀'; sp", 12)).toBe(11);
  expect(pythonCursor("spark.ra", 8)).toBe(8);
});

test("history walks back through earlier cells and forward to the draft, each in its language", () => {
  const history = new CodeHistory();
  const py = (code: string) => ({ code, language: "PYTHON" as const });
  expect(history.back(py("draft"))).toBeNull();
  history.push(py("a = 1"));
  history.push(py("b = 2"));
  history.push(py("b = 2"));
  history.push({ code: "b = 2", language: "SCALA" });

  expect(history.back({ code: "c", language: "SQL" })).toEqual({ code: "b = 2", language: "SCALA" });
  expect(history.back(py("b = 2"))).toEqual(py("b = 2"));
  expect(history.back(py("b = 2"))).toEqual(py("a = 1"));
  expect(history.back(py("a = 1"))).toBeNull();
  expect(history.forward()).toEqual(py("b = 2"));
  expect(history.forward()).toEqual({ code: "b = 2", language: "SCALA" });
  expect(history.forward()).toEqual({ code: "c", language: "SQL" });
  expect(history.forward()).toBeNull();
});
