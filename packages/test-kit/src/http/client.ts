import { type Agent, type IncomingHttpHeaders, request } from 'node:http';
import type { Socket } from 'node:net';

export interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** Whether the request went over a kept-alive connection. */
  reusedSocket: boolean;
  socket: Socket;
}

/**
 * GET http://127.0.0.1:port/path, as a real client; rejects on any socket
 * error. Without an agent, over a connection of its own.
 */
export function get(port: number, path: string, options: { agent?: Agent; headers?: Record<string, string>; host?: string } = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request({ host: options.host ?? '127.0.0.1', port, path, agent: options.agent ?? false, headers: options.headers }, (res) => {
      const socket = res.socket as Socket; // detached from the response once it goes back to the agent
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, reusedSocket: req.reusedSocket, socket }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** GET http://127.0.0.1:port/path, its body parsed as JSON (or `{ text }` when it is none). */
export async function getJson(port: number, path = '/'): Promise<Record<string, unknown>> {
  const { body } = await get(port, path);
  try {
    return JSON.parse(body) as Record<string, unknown>;
  } catch {
    return { text: body };
  }
}

/** Waits until a client socket has seen the server close it (no fixed delay). */
export async function closedByServer(socket: Socket): Promise<void> {
  if (socket.destroyed) return;
  await new Promise((resolve) => socket.once('close', resolve));
}
