import { expect, test } from "vitest";
import { cronInWords } from "./cronWords";

test.each([
  ["* * * * *", "every minute"],
  ["*/15 * * * *", "every 15 minutes"],
  ["0 * * * *", "every hour"],
  ["5 * * * *", "every hour at minute 5"],
  ["0 */6 * * *", "every 6 hours"],
  ["30 */2 * * *", "every 2 hours at minute 30"],
  ["0 2 * * *", "every day at 02:00"],
  ["  30   14 * * * ", "every day at 14:30"],
  ["0 2,14 * * *", "every day at 02:00 and 14:00"],
  ["0 9 * * 1-5", "every weekday at 09:00"],
  ["0 9 * * MON-FRI", "every weekday at 09:00"],
  ["15 8 * * 1", "every Monday at 08:15"],
  ["0 8 * * 7", "every Sunday at 08:00"],
  ["0 8 * * sat,sun", "every Saturday and Sunday at 08:00"],
  ["0 8 * * 1,3,5", "every Monday, Wednesday and Friday at 08:00"],
  ["0 0 1 * *", "on day 1 of every month at 00:00"],
  ["0 6 15 3 *", "every year on 15 March at 06:00"],
  ["@hourly", "every hour"],
  ["@DAILY", "every day at 00:00"],
  ["@weekly", "every Sunday at 00:00"],
])("%s is said as “%s”", (cron, words) => {
  expect(cronInWords(cron)).toBe(words);
});

test.each([
  "0-30/5 9-17 * * 1-5", // ranges with steps
  "0 9-17 * * *", // an hour range
  "0 2 1,15 * *", // more than one day of the month
  "0 2 * * 1 extra",
  "0 2 * *",
  "61 * * * *",
  "0 25 * * *",
  "0 2 * * 5-1",
  "0 2 1 * 1", // day of month and of week together
  "@often",
])("%s is shown as it is", (cron) => {
  expect(cronInWords(cron)).toBe(cron);
});
