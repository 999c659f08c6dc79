/**
 * A real S3 API server for tests: s3rver (an S3-compatible HTTP server that stores objects
 * in a directory) on a random loopback port, with a fresh temporary directory and one
 * bucket. Requests are signed with its fixed credentials, and it checks the signatures.
 *
 * It runs in a child Node process started with `--openssl-legacy-provider`: s3rver 3.7.1
 * encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (Node >= 17) only
 * offers through its legacy provider; without it every truncated listing answers
 * InternalError. The provider cannot be loaded into a running process, hence the child.
 * The same file is the child's program (`--serve`).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import S3rver from 's3rver';

export interface S3Server {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  close(): Promise<void>;
}

export async function startS3Server(bucket = 'sluice-test'): Promise<S3Server> {
  const directory = await mkdtemp(join(tmpdir(), 'sluice-s3rver-'));
  const child = spawn(process.execPath, ['--openssl-legacy-provider', fileURLToPath(import.meta.url), '--serve', directory, bucket], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout });
  const first = await Promise.race([
    once(lines, 'line').then(([l]) => String(l)),
    exited.then(([code]) => {
      throw new Error(`s3rver exited with code ${String(code)} before listening`);
    }),
  ]);
  const { port } = JSON.parse(first) as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    // s3rver's fixed credentials; it verifies signatures made with them.
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    close: async () => {
      lines.close();
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** The child: serves until SIGTERM or until its parent goes away (stdin closes). */
async function serve(directory: string, bucket: string): Promise<void> {
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  const { port } = await server.run();
  const stop = (): void => process.exit(0);
  process.on('SIGTERM', stop);
  process.stdin.on('end', stop).on('error', stop).resume();
  process.stdout.write(`${JSON.stringify({ port })}\n`);
}

if (process.argv[2] === '--serve' && process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void serve(process.argv[3]!, process.argv[4]!);
}
