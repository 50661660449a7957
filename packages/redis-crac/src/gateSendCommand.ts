import type { RequestGate } from 'node-crac';
import type { InFlightCommands } from './inFlightCommands.js';
import type { RedisClient, RedisCommand } from './redisClient.js';

/**
 * Routes the client's sendCommand through the gate: while closed, commands
 * are held (ioredis itself rejects commands once disconnected) and their
 * promises stay pending; commands that pass are tracked until their reply.
 * Returns what puts the client's own sendCommand back.
 */
export function gateSendCommand(redis: RedisClient, gate: RequestGate, inFlight: InFlightCommands): () => void {
  const hadOwn = Object.prototype.hasOwnProperty.call(redis, 'sendCommand');
  const original = redis.sendCommand;
  const send = (command: RedisCommand, rest: unknown[]): unknown => {
    inFlight.track(command);
    return original.call(redis, command, ...rest);
  };

  redis.sendCommand = function gatedSendCommand(command: RedisCommand, ...rest: unknown[]): unknown {
    if (gate.isOpen) return send(command, rest);
    gate.submit(() => void send(command, rest));
    return command.promise;
  };

  return () => {
    if (hadOwn) redis.sendCommand = original;
    else delete (redis as { sendCommand?: unknown }).sendCommand;
  };
}
