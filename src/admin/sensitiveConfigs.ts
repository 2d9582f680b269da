/**
 * Which config values are secrets (Kafka's PASSWORD type): DescribeConfigs
 * answers them as null with is_sensitive, and logs show them as `[hidden]`,
 * as Kafka's own config logging does. JAAS text carries PLAIN passwords and
 * ssl.keystore.key an inline private key.
 */
const SENSITIVE = /password|secret|credential|token|jaas\.config|keystore\.key$/i;

export const HIDDEN = '[hidden]';

export function isSensitiveConfig(name: string): boolean {
  return SENSITIVE.test(name);
}

/** A copy of `configs` fit for a log line: sensitive values replaced by `[hidden]`. */
export function redactConfigs(configs: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(configs)) out[name] = isSensitiveConfig(name) ? HIDDEN : value;
  return out;
}
