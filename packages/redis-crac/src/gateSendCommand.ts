import type { RequestGate } from 'node-crac';
import { patchMethod, type Unpatch } from 'node-crac/adapter';
import type { InFlightCommands } from './inFlightCommands.js';
import type { RedisClient, RedisCommand } from './redisClient.js';

/**
 * Routes the client's sendCommand through the gate: while closed, commands
 * are held (ioredis itself rejects commands once disconnected) and their
 * promises stay pending; commands that pass are tracked until their reply.
 * Returns what puts the client's own sendCommand back.
 */
export function gateSendCommand(redis: RedisClient, gate: RequestGate, inFlight: InFlightCommands): Unpatch {
  return patchMethod(redis, 'sendCommand', (sendCommand) => {
    const send = (command: RedisCommand, rest: unknown[]): unknown => {
      inFlight.track(command);
      return sendCommand(command, ...rest);
    };
    return function gatedSendCommand(command: RedisCommand, ...rest: unknown[]): unknown {
      if (gate.isOpen) return send(command, rest);
      gate.submit(() => void send(command, rest));
      return command.promise;
    };
  });
}
