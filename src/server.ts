// Reads the config, builds the app, listens, and shuts down gracefully on SIGINT/SIGTERM.
import { existsSync } from 'node:fs';
import { ConfigError, loadConfig } from './config.ts';
import { buildApp } from './app.ts';

if (existsSync('.env')) process.loadEnvFile('.env');

let config;
try {
  config = loadConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(`Configuration error: ${err.message}`);
  process.exit(1);
}

let app;
try {
  app = await buildApp(config);
  await app.listen({ host: config.host, port: config.port });
} catch (err) {
  // Start-up problems (a changed migration, a port in use) get one clear line, not a stack.
  console.error(`Could not start: ${(err as Error).message}`);
  await app?.close().catch(() => {});
  process.exit(1);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    app.log.info(`${signal} received, closing`);
    const forced = setTimeout(() => process.exit(1), 10_000).unref();
    app.close().then(
      () => clearTimeout(forced),
      () => process.exit(1),
    );
  });
}
