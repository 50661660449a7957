/** A net.Server listen() call for a TCP port, read from its arguments. */
export interface TcpListenCall {
  port: number;
  /** undefined: every address (listen(port) without a host). */
  host: string | undefined;
  backlog: number | undefined;
  callback: (() => void) | undefined;
  /** listen({ signal }): closes the server when aborted. */
  signal: AbortSignal | undefined;
}

/**
 * listen() options that ask for something else than a plain TCP bind on a
 * port: a path, a descriptor, a handle, or bind flags the handed socket may
 * not have. Every other option (exclusive, readableAll, keys Node ignores
 * such as Fastify's cb) leaves the bind as it is.
 */
const OTHER_BINDINGS = ['path', 'fd', 'handle', '_handle', 'ipv6Only', 'reusePort'];

/**
 * Reads the common forms of Server#listen: (port[, host][, backlog][, cb]) and
 * (options[, cb]) with port, host, backlog, signal. undefined for every other
 * form (a path, a pipe name, a handle, an fd, ipv6Only or reusePort), which
 * is then left to Node as it is.
 */
export function tcpListenCall(args: readonly unknown[]): TcpListenCall | undefined {
  const last = args[args.length - 1];
  const callback = typeof last === 'function' ? (last as () => void) : undefined;
  const rest = callback ? args.slice(0, -1) : args;
  const [first] = rest;
  if (first !== null && typeof first === 'object') {
    if (rest.length > 1) return undefined;
    const options = first as Record<string, unknown>;
    if (OTHER_BINDINGS.some((key) => options[key] !== undefined && options[key] !== false)) return undefined;
    const port = portOf(options.port);
    const host = options.host;
    const backlog = options.backlog;
    if (port === undefined || (host !== undefined && typeof host !== 'string') || (backlog !== undefined && typeof backlog !== 'number')) return undefined;
    return { port, host: host || undefined, backlog, callback, signal: options.signal as AbortSignal | undefined };
  }
  const port = portOf(first);
  if (port === undefined || rest.length > 3) return undefined;
  const [, second, third] = rest;
  if (typeof second === 'string' || second === undefined) {
    if (third !== undefined && typeof third !== 'number') return undefined;
    return { port, host: second || undefined, backlog: third, callback, signal: undefined };
  }
  if (typeof second === 'number' && rest.length === 2) return { port, host: undefined, backlog: second, callback, signal: undefined };
  return undefined;
}

/** A TCP port as listen() takes it (a number, or a string of digits), or undefined. */
function portOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 65535) return value;
  if (typeof value === 'string' && /^\d{1,5}$/.test(value) && Number(value) <= 65535) return Number(value);
  return undefined;
}
