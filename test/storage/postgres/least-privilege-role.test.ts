// PostgreSQL set up the README's way: the statements under "The PostgreSQL role and database",
// run as written (only the role's and database's name made unique to this run), give a role
// that is no superuser and can still apply every migration and serve a sign-in. The "obvious"
// grant alone (GRANT ALL ON DATABASE) cannot, on PostgreSQL 15: the reason the README says more.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { ALICE, seededDir, useTestApps } from '../../helpers/test-app.ts';
import { removeAfterTest } from '../../helpers/temp-dir.ts';
import { ADMIN_URL, REPO_MIGRATIONS, asAdmin } from './fresh-database.ts';
import { applyPostgresMigrations } from '../../../src/storage/postgres/migrations.ts';

const README_NAME = 'signin';

/** The SQL block of the README's PostgreSQL section, one statement per entry. */
function readmeStatements(): string[] {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('#### The PostgreSQL role and database'));
  const block = /```sql\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error("README.md: no sql block under 'The PostgreSQL role and database'");
  return block.split(';').map((statement) => statement.trim()).filter(Boolean);
}

/** The same statements for another name (role and database share it, as in the README). */
const renamed = (statements: string[], name: string) => statements.map((s) => s.replace(new RegExp(`\\b${README_NAME}\\b`, 'g'), name));
/** A URL as that role: the test server trusts local connections, so no password is needed here. */
const urlAs = (name: string) => Object.assign(new URL(ADMIN_URL), { username: name, password: '', pathname: `/${name}` }).href;

const made: string[] = [];
afterAll(async () => {
  await asAdmin(async (c) => {
    for (const name of made) {
      await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
      await c.query(`DROP DATABASE IF EXISTS ${name}`);
      await c.query(`DROP ROLE IF EXISTS ${name}`);
    }
  });
});

describe("PostgreSQL with the README's role and database", () => {
  const startApp = useTestApps();

  it('makes a role that is no superuser, migrates and signs in as it, and keeps other roles out of its database', async () => {
    const name = `signin_${randomBytes(4).toString('hex')}`;
    made.push(name);
    const statements = readmeStatements();
    expect(statements.join('\n')).toMatch(/CREATE ROLE signin\b/);
    await asAdmin(async (c) => {
      for (const statement of renamed(statements, name)) await c.query(statement);
    });
    const [role] = await asAdmin(async (c) => (await c.query('SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = $1', [name])).rows);
    expect(role).toEqual({ rolsuper: false, rolcreatedb: false, rolcreaterole: false });

    const dir = removeAfterTest(await seededDir());
    const t = await startApp({ api: 'v2', dir, env: { DATABASE_URL: urlAs(name), MIGRATIONS_DIR: `${REPO_MIGRATIONS}:${join(dir, 'seeds')}` } });
    expect(t.logs.join('')).toContain('applied migration 0100_seed_alice.sql');
    const c = t.client();
    expect((await c.signIn(t.sim)).headers.location).toBe('/');
    const home = await c.get('/');
    expect(home.body).toContain(ALICE.email);

    // PUBLIC lost CONNECT: a role made later (with no grant of its own) cannot open the database.
    const stranger = `${name}_x`;
    made.push(stranger);
    await asAdmin((a) => a.query(`CREATE ROLE ${stranger} LOGIN`));
    const client = new pg.Client({ connectionString: Object.assign(new URL(urlAs(name)), { username: stranger }).href });
    await expect(client.connect()).rejects.toThrow(/permission denied for database/);
  });

  it('shows why: with GRANT ALL ON DATABASE alone, the migrations are refused on the public schema', async () => {
    const name = `signin_${randomBytes(4).toString('hex')}`;
    made.push(name);
    await asAdmin(async (c) => {
      await c.query(`CREATE ROLE ${name} LOGIN`);
      await c.query(`CREATE DATABASE ${name}`);
      await c.query(`GRANT ALL ON DATABASE ${name} TO ${name}`);
    });
    await expect(applyPostgresMigrations(urlAs(name), [REPO_MIGRATIONS])).rejects.toThrow(/permission denied for schema public/);
  });
});
