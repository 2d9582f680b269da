/** One `LoginModule flag key=value ...;` entry of a JAAS configuration. */
export interface JaasModule {
  loginModule: string;
  flag: string;
  options: Record<string, string>;
}

/**
 * Parses Kafka's inline JAAS text (`sasl.jaas.config`), e.g.
 * `org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="secret";`.
 * Values may be double-quoted (with backslash escapes) or bare words.
 */
export function parseJaasConfig(text: string): JaasModule[] {
  const modules: JaasModule[] = [];
  let i = 0;
  const n = text.length;
  const skipSpace = () => {
    while (i < n && /\s/.test(text[i])) i++;
  };
  const word = (): string => {
    const start = i;
    while (i < n && !/[\s=;"]/.test(text[i])) i++;
    return text.slice(start, i);
  };
  const quoted = (): string => {
    i++; // opening quote
    let out = '';
    while (i < n && text[i] !== '"') {
      if (text[i] === '\\' && i + 1 < n) i++;
      out += text[i++];
    }
    if (i >= n) throw new Error('sasl.jaas.config: unterminated quoted value');
    i++;
    return out;
  };
  for (;;) {
    skipSpace();
    if (i >= n) break;
    const loginModule = word();
    skipSpace();
    const flag = word();
    if (loginModule === '' || flag === '') throw new Error(`sasl.jaas.config: expected "LoginModule flag ..." at offset ${i}`);
    const options: Record<string, string> = {};
    for (;;) {
      skipSpace();
      if (i >= n) throw new Error('sasl.jaas.config: missing ";" after the login module options');
      if (text[i] === ';') {
        i++;
        break;
      }
      const key = word();
      skipSpace();
      if (key === '' || text[i] !== '=') throw new Error(`sasl.jaas.config: expected key=value at offset ${i}`);
      i++;
      skipSpace();
      options[key] = text[i] === '"' ? quoted() : word();
    }
    modules.push({ loginModule, flag, options });
  }
  return modules;
}

/** `user_<name>="<password>"` options of a PlainLoginModule entry: Kafka's way to declare PLAIN users. */
export function plainUsersFromJaas(text: string): Map<string, string> {
  const users = new Map<string, string>();
  for (const m of parseJaasConfig(text)) {
    if (!m.loginModule.endsWith('PlainLoginModule')) continue;
    for (const [k, v] of Object.entries(m.options)) if (k.startsWith('user_') && k.length > 5) users.set(k.slice(5), v);
  }
  return users;
}
