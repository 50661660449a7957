'use strict';
// Traffic to have warm in the checkpoint image: every read route of every
// resource, the validated POST search included, through fastify.inject (no
// socket to close before the dump). `crac checkpoint` can only send GETs.

const ROUNDS = 5;

async function warmUp(app, catalog) {
  for (let round = 0; round < ROUNDS; round++) {
    for (const { name } of catalog) {
      const list = await app.inject(`/api/${name}?limit=5`);
      const [first] = list.json().items;
      if (!first) continue;
      await app.inject(`/api/${name}/${first.id}`);
      await app.inject(`/api/${name}/count`);
      await app.inject(`/api/${name}/${first.id}/history`);
      await app.inject({ method: 'POST', url: `/api/${name}/search`, payload: { where: { name: first.name }, limit: 5 } });
    }
    await app.inject('/health');
  }
}

/**
 * The warm-up runs only when a checkpoint is coming (`crac checkpoint` sets
 * CRAC_CHECKPOINT_TO): a plain start serves at once and warms up on real traffic.
 */
function warmupForCheckpoint(catalog) {
  return process.env.CRAC_CHECKPOINT_TO ? (app) => warmUp(app, catalog) : undefined;
}

module.exports = { warmupForCheckpoint };
