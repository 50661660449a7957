// Liveness probe inside the image: exits 0 when GET http://127.0.0.1:$PORT/health
// answers 2xx within 4 s. A file rather than `node -e` because podman kube play
// runs an exec probe through a shell, split at spaces.
'use strict';
const url = `http://127.0.0.1:${process.env.PORT ?? 3000}${process.env.PROBE_PATH ?? '/health'}`;
fetch(url, { signal: AbortSignal.timeout(4000) }).then(
  (response) => process.exit(response.ok ? 0 : 1),
  () => process.exit(1),
);
