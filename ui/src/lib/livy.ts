// The Livy endpoint as Settings shows it: where Livy clients reach Sparkdeck, and a sparkmagic
// configuration for it (the keys of sparkmagic's example_config.json).

export type LivySettings = { enabled: boolean; port: number };

/** `/livy` on the API port always; the root of the Livy port (what clients expect at :8998) when on. */
export function livyUrls(apiPort: number, livy: LivySettings): string[] {
  const urls = [`http://127.0.0.1:${apiPort}/livy`];
  if (livy.enabled) urls.push(`http://127.0.0.1:${livy.port}`);
  return urls;
}

/** The user name sparkmagic sends; any is accepted, the token is what authenticates. */
export const LIVY_USER = "sparkdeck";

/**
 * A session's start (a driver's Spark, its warm-up, Scala's interpreter) may take longer than
 * sparkmagic's 60 s default on a busy machine or a remote cluster.
 */
export const SESSION_STARTUP_SECONDS = 180;

/**
 * sparkmagic's `~/.sparkmagic/config.json` for the URL Livy clients should use (the Livy port
 * when it is on, else `/livy`). The token is the password of HTTP Basic auth.
 */
export function sparkmagicConfig(url: string, token: string): string {
  const credentials = { url, auth: "Basic_Access", username: LIVY_USER, password: token };
  const config = {
    kernel_python_credentials: credentials,
    kernel_scala_credentials: credentials,
    livy_session_startup_timeout_seconds: SESSION_STARTUP_SECONDS,
  };
  return JSON.stringify(config, null, 2) + "\n";
}
