import { expect, test } from "vitest";
import { csvField, toCsv } from "./csv";

test("plain fields stay as they are; commas, quotes and line breaks are quoted with quotes doubled", () => {
  expect(csvField("plain text")).toBe("plain text");
  expect(csvField(" spaced ")).toBe(" spaced ");
  expect(csvField("a,b")).toBe('"a,b"');
  expect(csvField('say "hi"')).toBe('"say ""hi"""');
  expect(csvField("two\nlines")).toBe('"two\nlines"');
  expect(csvField("cr\rhere")).toBe('"cr\rhere"');
  expect(csvField('"')).toBe('""""');
});

test("null is an empty field; numbers, booleans and nested values are written as text", () => {
  expect(csvField(null)).toBe("");
  expect(csvField(undefined)).toBe("");
  expect(csvField(0)).toBe("0");
  expect(csvField(-1.5)).toBe("-1.5");
  expect(csvField(false)).toBe("false");
  expect(csvField([1, 2])).toBe('"[1,2]"');
  expect(csvField({ a: "x" })).toBe('"{""a"":""x""}"');
});

test("a table is a header record and one record per row, each ending with CRLF", () => {
  expect(toCsv(["id", "name"], [[1, "Ada, Countess"], [2, null]])).toBe('id,name\r\n1,"Ada, Countess"\r\n2,\r\n');
  expect(toCsv(["only"], [])).toBe("only\r\n");
});
