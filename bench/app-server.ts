// Our app as production builds it (buildApp + loadConfig), configured by the environment the
// bench parent gives this process: a temp SQLite file with seeded accounts, and Vonage Verify
// pointed at the parent's Verify simulator. Logs go to this process's stdout (a file).
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { serveForParent } from './child-ipc.ts';

await serveForParent(() => buildApp(loadConfig(process.env)));
