/**
 * Copies a SQLite report store's catalog (every table with rows but the migration log and
 * the model revision, which the target's own migrations made) into a MySQL store of the same
 * schema version, in foreign-key order as SQLite lists the tables. bench:jobs gives MariaDB
 * the world its prepared SQLite store was seeded with.
 */
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';

const SKIP = new Set(['schema_migrations', 'model_revision']);

export async function copyCatalog(sqlitePath: string, mysqlUrl: string): Promise<number> {
  const src = new Database(sqlitePath, { readonly: true });
  const dst = await mysql.createConnection(mysqlUrl);
  let copied = 0;
  try {
    await dst.query('SET FOREIGN_KEY_CHECKS = 0');
    for (const { name } of src.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid").all() as { name: string }[]) {
      if (SKIP.has(name)) continue;
      const rows = src.prepare(`SELECT * FROM \`${name}\``).all() as Record<string, unknown>[];
      if (rows.length === 0) continue;
      const cols = Object.keys(rows[0]!);
      await dst.query(`DELETE FROM \`${name}\``);
      await dst.query(`INSERT INTO \`${name}\` (${cols.map((c) => `\`${c}\``).join(', ')}) VALUES ?`, [rows.map((r) => cols.map((c) => r[c]))]);
      copied += rows.length;
    }
    await dst.query('SET FOREIGN_KEY_CHECKS = 1');
  } finally {
    src.close();
    await dst.end();
  }
  return copied;
}
