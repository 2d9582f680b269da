import type { TLSSocket } from 'node:tls';
import { ANONYMOUS_PRINCIPAL } from '../../net/connection';

/** One `ssl.principal.mapping.rules` entry: DEFAULT or `RULE:pattern/replacement/[LU]`. */
export type PrincipalMappingRule = { kind: 'default' } | { kind: 'rule'; pattern: RegExp; replacement: string; toCase: 'lower' | 'upper' | null };

/** Parses Kafka's `ssl.principal.mapping.rules` (comma-separated rules, first match wins). */
export function parsePrincipalMappingRules(text: string): PrincipalMappingRule[] {
  const rules: PrincipalMappingRule[] = [];
  let rest = text.trim();
  while (rest !== '') {
    if (rest.startsWith('DEFAULT')) {
      rules.push({ kind: 'default' });
      rest = rest.slice('DEFAULT'.length);
    } else {
      // RULE:pattern/replacement/[LU]; the pattern may itself contain commas, so match up to the slashes.
      const m = /^RULE:((?:\\.|[^/])*)\/((?:\\.|[^/])*)\/([LU]?)/.exec(rest);
      if (!m) throw new Error(`ssl.principal.mapping.rules: cannot parse "${rest}"`);
      rules.push({ kind: 'rule', pattern: new RegExp(m[1]), replacement: m[2], toCase: m[3] === 'L' ? 'lower' : m[3] === 'U' ? 'upper' : null });
      rest = rest.slice(m[0].length);
    }
    rest = rest.trim();
    if (rest.startsWith(',')) rest = rest.slice(1).trim();
    else if (rest !== '') throw new Error(`ssl.principal.mapping.rules: expected "," before "${rest}"`);
  }
  return rules.length > 0 ? rules : [{ kind: 'default' }];
}

/** Applies the first matching rule to an RFC 2253 distinguished name; DEFAULT keeps the DN as it is. */
export function mapPrincipalName(dn: string, rules: PrincipalMappingRule[]): string {
  for (const rule of rules) {
    if (rule.kind === 'default') return dn;
    const m = rule.pattern.exec(dn);
    if (!m || m[0] !== dn) continue; // Kafka requires the whole name to match
    const name = dn.replace(rule.pattern, rule.replacement);
    return rule.toCase === 'lower' ? name.toLowerCase() : rule.toCase === 'upper' ? name.toUpperCase() : name;
  }
  return dn;
}

/**
 * The subject of a certificate as Java's X500Principal.getName() prints it
 * (RFC 2253: most specific attribute first, `CN=alice,OU=eng,O=Brook,C=US`),
 * which is what Kafka's principals are made of. Node lists the subject in
 * certificate order, one RDN per line, its values already escaped as RFC 2253
 * asks (OpenSSL's ESC_2253) and the attributes of a multi-valued RDN joined by
 * ` + `; so the lines are reversed and those attributes joined by a bare `+`.
 * An escaped plus inside a value reads `\+`, never ` + `.
 */
export function subjectDn(subject: string): string {
  return subject
    .split('\n')
    .filter((l) => l !== '')
    .reverse()
    .map((rdn) => rdn.split(' + ').join('+'))
    .join(',');
}

/** `User:<mapped DN>` for a verified client certificate, ANONYMOUS without one. */
export function tlsPrincipal(socket: TLSSocket, rules: PrincipalMappingRule[]): string {
  if (!socket.authorized) return ANONYMOUS_PRINCIPAL;
  const cert = socket.getPeerX509Certificate();
  if (!cert) return ANONYMOUS_PRINCIPAL;
  return `User:${mapPrincipalName(subjectDn(cert.subject), rules)}`;
}
