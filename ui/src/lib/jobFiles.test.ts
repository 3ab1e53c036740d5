import { expect, test } from "vitest";
import { addPaths, fileName, kindOf, languageFor, mainFile, nameFrom } from "./jobFiles";

const none = { jars: [], pyFiles: [], files: [] };

test("files are routed by extension", () => {
  expect(kindOf("/jobs/etl.jar")).toBe("jars");
  expect(kindOf("C:\\jobs\\ETL.PY")).toBe("pyFiles");
  expect(kindOf("/data/input.csv")).toBe("files");
  expect(kindOf("/data/README")).toBe("files");
  expect(kindOf("/data/.py")).toBe("files"); // a hidden file, not a script
});

test("added paths land in their lists once, after what is there", () => {
  const lists = addPaths({ jars: ["/a.jar"], pyFiles: [], files: [] }, ["/main.py", "/b.jar", "/a.jar", "/in.csv", "/lib.py"]);
  expect(lists).toEqual({ jars: ["/a.jar", "/b.jar"], pyFiles: ["/main.py", "/lib.py"], files: ["/in.csv"] });
});

test("a Python script makes a Python job unless jars are there", () => {
  expect(languageFor("SCALA", addPaths(none, ["/main.py"]))).toBe("PYTHON");
  expect(languageFor("SCALA", addPaths({ ...none, jars: ["/app.jar"] }, ["/main.py"]))).toBe("SCALA");
  expect(languageFor("PYTHON", addPaths(none, ["/app.jar"]))).toBe("SCALA");
  expect(languageFor("SCALA", addPaths(none, ["/in.csv"]))).toBe("SCALA");
});

test("the job's name comes from the dropped script or jar", () => {
  const paths = ["/data/in.csv", "/home/me/daily_etl.py"];
  expect(mainFile(paths)).toBe("/home/me/daily_etl.py");
  expect(nameFrom(mainFile(paths)!)).toBe("daily_etl");
  expect(nameFrom("/x/spark-examples_2.13-3.5.1.jar")).toBe("spark-examples_2.13-3.5.1");
  expect(mainFile(["/data/in.csv"])).toBeUndefined();
  expect(fileName("C:\\Users\\me\\job.py")).toBe("job.py");
});
