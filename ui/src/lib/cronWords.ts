// A cron in words for the schedules list ("every day at 02:00"): the common five-field
// shapes and the @-names; anything else is shown as the expression itself.

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

const NICKNAMES: Record<string, string> = {
  "@hourly": "every hour",
  "@daily": "every day at 00:00",
  "@weekly": "every Sunday at 00:00",
  "@monthly": "on day 1 of every month at 00:00",
  "@yearly": "every year on 1 January at 00:00",
  "@annually": "every year on 1 January at 00:00",
};

/** A whole number within bounds, or null. */
function number(text: string, min: number, max: number): number | null {
  if (!/^\d{1,2}$/.test(text)) return null;
  const n = Number(text);
  return n >= min && n <= max ? n : null;
}

/** A comma list of numbers within bounds (no ranges or steps), or null. */
function numbers(text: string, min: number, max: number): number[] | null {
  const parts = text.split(",").map((part) => number(part, min, max));
  return parts.every((n) => n !== null) ? (parts as number[]) : null;
}

/** `*\/n`: the step n, or null. */
function step(text: string, max: number): number | null {
  const match = /^\*\/(\d{1,2})$/.exec(text);
  const n = match ? Number(match[1]) : 0;
  return n >= 1 && n <= max ? n : null;
}

/** A day of week (0–7, 7 and 0 both Sunday, or SUN…SAT) as 0–6, or null. */
function day(text: string): number | null {
  const named = DAY_NAMES.indexOf(text.toUpperCase());
  if (named >= 0) return named;
  const n = number(text, 0, 7);
  return n === null ? null : n % 7;
}

/** The day-of-week field as words ("Monday", "weekdays", "Monday and Friday"), or null. */
function daysText(text: string): string | null {
  const range = /^([^-,]+)-([^-,]+)$/.exec(text);
  if (range) {
    const [from, to] = [day(range[1]), day(range[2])];
    if (from === 1 && to === 5) return "weekday";
    if (from === null || to === null || from >= to) return null;
    return `${DAYS[from]} to ${DAYS[to]}`;
  }
  const days = text.split(",").map(day);
  if (days.some((d) => d === null)) return null;
  const names = (days as number[]).map((d) => DAYS[d]);
  return names.length === 1 ? names[0] : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

const pad = (n: number) => String(n).padStart(2, "0");
const timesText = (hours: number[], minute: number) => {
  const times = hours.map((hour) => `${pad(hour)}:${pad(minute)}`);
  return times.length === 1 ? times[0] : `${times.slice(0, -1).join(", ")} and ${times[times.length - 1]}`;
};

/** The cron in words, or the expression itself when its shape is not one of the common ones. */
export function cronInWords(cron: string): string {
  const text = cron.trim().replace(/\s+/g, " ");
  const nickname = NICKNAMES[text.toLowerCase()];
  if (nickname) return nickname;
  const fields = text.split(" ");
  if (fields.length !== 5) return text;
  const [minuteField, hourField, domField, monthField, dowField] = fields;
  const everyDay = domField === "*" && monthField === "*";

  if (everyDay && hourField === "*" && dowField === "*") {
    if (minuteField === "*") return "every minute";
    const every = step(minuteField, 59);
    if (every) return every === 1 ? "every minute" : `every ${every} minutes`;
    const minute = number(minuteField, 0, 59);
    if (minute !== null) return minute === 0 ? "every hour" : `every hour at minute ${minute}`;
    return text;
  }

  const minute = number(minuteField, 0, 59);
  if (minute === null) return text;
  const hourStep = step(hourField, 23);
  if (hourStep && everyDay && dowField === "*") {
    const at = minute === 0 ? "" : ` at minute ${minute}`;
    return hourStep === 1 ? `every hour${at}` : `every ${hourStep} hours${at}`;
  }
  const hours = numbers(hourField, 0, 23);
  if (!hours) return text;
  const at = `at ${timesText(hours, minute)}`;

  if (everyDay) {
    if (dowField === "*") return `every day ${at}`;
    const days = daysText(dowField);
    return days ? `every ${days} ${at}` : text;
  }
  if (dowField !== "*") return text;
  const dom = numbers(domField, 1, 31);
  if (!dom || dom.length !== 1) return text;
  if (monthField === "*") return `on day ${dom[0]} of every month ${at}`;
  const month = number(monthField, 1, 12);
  return month === null ? text : `every year on ${dom[0]} ${MONTHS[month - 1]} ${at}`;
}
