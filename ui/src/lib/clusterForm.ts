// The cluster form's state and its translation to and from the backend's shapes.
import type {
  ClusterInput_Deserialize,
  ClusterType,
  ClusterView_Serialize,
  StorageInput_Deserialize,
} from "./bindings";
import type { FormError } from "./errors";
import { filledRows, pairsToRows, rowKey, type KeyValueRow } from "./keyValue";

/** A secret as the form holds it: the backend only tells whether one is stored. */
export type Secret = { value: string; isSet: boolean; clear: boolean };

export type StorageRow = {
  key: number;
  name: string;
  sparkBucket: string;
  dataBucket: string;
  endpoint: string;
  accessKey: string;
  secretKey: Secret;
};

export type ClusterForm = {
  name: string;
  description: string;
  type: ClusterType;
  /** Svelte binds number inputs as numbers; null when blank. */
  threads: number | null;
  url: string;
  restUrl: string;
  webUiUrl: string;
  caCert: string;
  clientCert: string;
  clientKey: Secret;
  clientKeyAlgorithm: string;
  clientKeyPassphrase: Secret;
  username: string;
  password: Secret;
  token: Secret;
  storages: StorageRow[];
  sparkStorage: string;
  config: KeyValueRow[];
};

const secret = (masked?: string | null): Secret => ({ value: "", isSet: !!masked, clear: false });

export function emptyStorage(): StorageRow {
  return { key: rowKey(), name: "", sparkBucket: "", dataBucket: "", endpoint: "", accessKey: "", secretKey: secret() };
}

/** The form for a new cluster, or for editing `view`. */
export function formFromView(view?: ClusterView_Serialize): ClusterForm {
  return {
    name: view?.name ?? "",
    description: view?.description ?? "",
    type: view?.type ?? "local",
    threads: view?.threads ?? null,
    url: view?.url ?? "",
    restUrl: view?.restUrl ?? "",
    webUiUrl: view?.webUiUrl ?? "",
    caCert: view?.caCert ?? "",
    clientCert: view?.clientCert ?? "",
    clientKey: secret(view?.clientKey),
    clientKeyAlgorithm: view?.clientKeyAlgorithm ?? "",
    clientKeyPassphrase: secret(view?.clientKeyPassphrase),
    username: view?.username ?? "",
    password: secret(view?.password),
    token: secret(view?.token),
    storages: Object.entries(view?.storages ?? {}).map(([name, s]) => ({
      key: rowKey(),
      name,
      sparkBucket: s.sparkBucket,
      dataBucket: s.dataBucket,
      endpoint: s.endpoint,
      accessKey: s.accessKey,
      secretKey: secret(s.secretKey),
    })),
    sparkStorage: view?.sparkStorage ?? "",
    config: pairsToRows(view?.defaultApplicationConfig ?? {}),
  };
}

/** The API field an error about a storage row (or one of its inputs) names. */
export function storageField(row: StorageRow, input?: keyof StorageInput_Deserialize): string {
  const base = `storages.${row.name.trim()}`;
  return input ? `${base}.${input}` : base;
}

const STORAGE_INPUTS = ["sparkBucket", "dataBucket", "endpoint", "accessKey", "secretKey"] as const;

const TYPE_FIELDS: Record<ClusterType, string[]> = {
  local: ["threads"],
  standalone: ["url", "restUrl", "webUiUrl"],
  k8s: [
    "url", "caCert", "clientCert", "clientKey", "clientKeyAlgorithm", "clientKeyPassphrase",
    "username", "password", "token", "sparkStorage", "defaultApplicationConfig",
  ],
};

/** The API fields the form shows an error next to; errors about others go on top. */
export function inlineFields(form: ClusterForm): Set<string> {
  const storages = form.type === "k8s" ? form.storages : [];
  return new Set([
    "name", "description", "type",
    ...TYPE_FIELDS[form.type],
    ...storages.flatMap((row) => [storageField(row), ...STORAGE_INPUTS.map((input) => storageField(row, input))]),
  ]);
}

/** The obvious mistakes, caught before a round trip; the backend checks everything else. */
export function checkForm(form: ClusterForm): FormError | null {
  if (!form.name.trim()) return { field: "name", message: "is required" };
  const threads = form.threads;
  if (form.type === "local" && threads != null && !(Number.isInteger(threads) && threads >= 1 && threads <= 1024)) {
    return { field: "threads", message: "must be a whole number from 1 to 1024" };
  }
  if (form.type !== "local" && !form.url.trim()) {
    const example = form.type === "k8s" ? "https://host:6443" : "spark://host:7077";
    return { field: "url", message: `is required, e.g. ${example}` };
  }
  // Rows become object keys, so a repeated name would silently drop a row.
  if (form.type === "k8s") {
    const storage = repeated(form.storages.map((row) => row.name.trim()));
    if (storage !== undefined) return { field: `storages.${storage}`, message: "is given twice" };
  }
  const key = repeated(filledRows(form.config).map((row) => row.name.trim()));
  if (key !== undefined) return { field: "defaultApplicationConfig", message: `key '${key}' is given twice` };
  return null;
}

function repeated(names: string[]): string | undefined {
  return names.find((name, i) => names.indexOf(name) !== i);
}

/** Optional text: left out when blank, which the backend reads as "not set". */
const text = (value: string) => value.trim() || undefined;

/** A typed value replaces the stored secret, "" removes it, leaving it out keeps it. */
function secretInput(s: Secret): string | undefined {
  if (s.clear) return "";
  return s.value || undefined;
}

/** The create/update body: the common fields plus only those of the chosen type. */
export function toInput(form: ClusterForm): ClusterInput_Deserialize {
  const config = filledRows(form.config);
  const common = {
    name: form.name.trim(),
    description: form.description.trim(),
    type: form.type,
    // Spark defaults apply to every type; an update replaces the whole map.
    defaultApplicationConfig: config.length
      ? Object.fromEntries(config.map((row) => [row.name.trim(), row.value.trim()]))
      : undefined,
  };
  switch (form.type) {
    case "local":
      return { ...common, threads: form.threads ?? undefined };
    case "standalone":
      return { ...common, url: form.url.trim(), restUrl: text(form.restUrl), webUiUrl: text(form.webUiUrl) };
    case "k8s": {
      return {
        ...common,
        url: form.url.trim(),
        caCert: text(form.caCert),
        clientCert: text(form.clientCert),
        clientKey: secretInput(form.clientKey),
        clientKeyAlgorithm: text(form.clientKeyAlgorithm),
        clientKeyPassphrase: secretInput(form.clientKeyPassphrase),
        username: text(form.username),
        password: secretInput(form.password),
        token: secretInput(form.token),
        // An update replaces the whole map, so every row is sent each time.
        storages: form.storages.length
          ? Object.fromEntries(form.storages.map((row) => [row.name.trim(), storageInput(row)]))
          : undefined,
        sparkStorage: text(form.sparkStorage),
      };
    }
  }
}

function storageInput(row: StorageRow): StorageInput_Deserialize {
  return {
    type: "s3",
    sparkBucket: row.sparkBucket.trim(),
    dataBucket: text(row.dataBucket),
    endpoint: text(row.endpoint),
    accessKey: text(row.accessKey),
    secretKey: secretInput(row.secretKey),
  };
}
