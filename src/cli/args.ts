import { parseAssignment } from '../config/properties';

export interface StartArgs {
  command: 'start' | 'help';
  host?: string;
  port?: number;
  dataDir?: string;
  configFile?: string;
  overrides: Record<string, string>;
  metricsPort?: number;
  metricsHost?: string;
  console?: boolean;
}

export const USAGE = `Usage: brook start [options]

Starts a Brook broker that speaks the Kafka protocol.

Options:
  --host HOST         address to listen on (default 127.0.0.1)
  --port PORT         port to listen on (default 9092; 0 = any free port, see the "listening" log line)
                      (a "listeners" property, e.g. SASL_SSL://0.0.0.0:9093, replaces --host/--port;
                      TLS and SASL settings: README, "Listeners, TLS and SASL")
  --data-dir DIR      where partition logs and metadata live (default ./data)
  --config FILE       Kafka-style properties file (num.partitions, log.retention.ms, advertised.listeners, ...)
  --set KEY=VALUE     override one property (repeatable)
  --metrics-port PORT serve Prometheus metrics at http://HOST:PORT/metrics (off by default)
  --metrics-host HOST address of the metrics/console HTTP server (default: --host)
  --console           also serve the web console on the metrics port
  --help              show this help
`;

function takeValue(argv: string[], i: number, flag: string): string {
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value`);
  return v;
}

export function parseArgs(argv: string[]): StartArgs {
  const out: StartArgs = { command: 'start', overrides: {} };
  let sawCommand = false;
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let inline: string | undefined;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    if (eq > 0) {
      inline = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = takeValue(argv, i, arg);
      i++;
      return v;
    };
    switch (arg) {
      case '--help':
      case '-h':
        out.command = 'help';
        break;
      case '--host':
        out.host = value();
        break;
      case '--port': {
        const v = value();
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`invalid --port ${v}`);
        out.port = n;
        break;
      }
      case '--data-dir':
        out.dataDir = value();
        break;
      case '--config':
        out.configFile = value();
        break;
      case '--metrics-port': {
        const v = value();
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`invalid --metrics-port ${v}`);
        out.metricsPort = n;
        break;
      }
      case '--metrics-host':
        out.metricsHost = value();
        break;
      case '--console':
        out.console = true;
        break;
      case '--set': {
        const [k, v] = parseAssignment(value());
        out.overrides[k] = v;
        break;
      }
      default:
        if (!sawCommand && !arg.startsWith('-')) {
          if (arg === 'help') out.command = 'help';
          else if (arg !== 'start') throw new Error(`unknown command ${arg}`);
          sawCommand = true;
          break;
        }
        throw new Error(`unknown option ${arg}`);
    }
  }
  if (!sawCommand && out.command !== 'help') out.command = 'help';
  return out;
}
