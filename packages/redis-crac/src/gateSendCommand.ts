import { type HeldWork, patchMethod, type Unpatch } from 'node-crac/adapter';
import { HeldCommandDiscardedError } from './heldCommandDiscarded.js';
import type { InFlightCommands } from './inFlightCommands.js';
import type { RedisClient, RedisCommand } from './redisClient.js';

/**
 * Routes the client's sendCommand through the gate: while closed, commands
 * are held (ioredis itself rejects commands once disconnected) and their
 * promises stay pending; commands that pass are tracked until their reply.
 * In a restored copy the commands held before the image was written are
 * rejected with a HeldCommandDiscardedError instead of being sent (see
 * HeldWork). Returns what puts the client's own sendCommand back.
 */
export function gateSendCommand(redis: RedisClient, held: HeldWork, inFlight: InFlightCommands, name: string): Unpatch {
  return patchMethod(redis, 'sendCommand', (sendCommand) => {
    const send = (command: RedisCommand, rest: unknown[]): unknown => {
      inFlight.track(command);
      return sendCommand(command, ...rest);
    };
    return function gatedSendCommand(command: RedisCommand, ...rest: unknown[]): unknown {
      if (held.gate.isOpen) return send(command, rest);
      held.hold(
        () => void send(command, rest),
        // ioredis' Command rejects its promise and calls its callback (on a later tick).
        () => command.reject(new HeldCommandDiscardedError(name, command.name)),
      );
      return command.promise;
    };
  });
}
