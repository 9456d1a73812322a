/**
 * The real S3 server the object-store tests run against: a single-node Ceph radosgw started by
 * scripts/radosgw.sh, found through S3_TEST_ENDPOINT and its keys (or the env file the script writes).
 * Without one the suites skip on a developer machine; with S3_TEST_REQUIRED=1 (CI) they fail instead.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, it } from 'vitest';
import { configureObjectStores } from '../../../src/delta/storage/index.js';

// The SDK's notice that later versions need Node 22 (this project runs on Node 20).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

export interface S3TestEnv {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

function fromEnvFile(): Record<string, string> {
  const file = path.join(process.env.RADOSGW_DIR ?? '/tmp/futures-radosgw', 'env');
  if (!existsSync(file)) return {};
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^export (\w+)=(.*)$/.exec(line.trim());
    if (m) out[m[1] as string] = m[2] as string;
  }
  return out;
}

export function s3TestEnv(): S3TestEnv | undefined {
  const vars = { ...fromEnvFile(), ...process.env };
  const endpoint = vars.S3_TEST_ENDPOINT;
  const accessKeyId = vars.S3_TEST_ACCESS_KEY_ID;
  const secretAccessKey = vars.S3_TEST_SECRET_ACCESS_KEY;
  if (!endpoint || !accessKeyId || !secretAccessKey) return undefined;
  return { endpoint, accessKeyId, secretAccessKey, region: vars.S3_TEST_REGION ?? 'us-east-1' };
}

/** describe() when a server is there; a skip, or under S3_TEST_REQUIRED a failing test, when not. */
export function describeS3(name: string, body: (env: S3TestEnv) => void): void {
  const env = s3TestEnv();
  if (env) {
    describe(name, () => body(env));
    return;
  }
  describe(name, () => {
    if (process.env.S3_TEST_REQUIRED === '1') {
      it('finds the S3 test server', () => {
        throw new Error(
          'No S3 test server: run scripts/radosgw.sh start (CI does), or unset S3_TEST_REQUIRED.',
        );
      });
    } else {
      it.skip('SKIPPED: no S3 test server (scripts/radosgw.sh start)', () => {});
    }
  });
}

/** The environment a process (this one, or a child) needs to reach the server. */
export function childEnv(env: S3TestEnv, cacheDir: string): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: env.accessKeyId,
    AWS_SECRET_ACCESS_KEY: env.secretAccessKey,
    AWS_REGION: env.region,
    S3_TEST_ENDPOINT: env.endpoint,
    S3_TEST_CACHE_DIR: cacheDir,
  };
}

/** Points this process's object stores at the server (path-style), with its own cache directory. */
export function useS3(env: S3TestEnv, cacheDir: string, endpoint = env.endpoint): void {
  Object.assign(process.env, childEnv(env, cacheDir));
  configureObjectStores({
    endpoint,
    region: env.region,
    forcePathStyle: true,
    cacheDir,
    cacheBytes: 256 * 1024 * 1024,
  });
}

export function s3Client(env: S3TestEnv): S3Client {
  return new S3Client({
    endpoint: env.endpoint,
    region: env.region,
    forcePathStyle: true,
    credentials: { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey },
  });
}

/** A new bucket with a unique name. */
export async function freshBucket(env: S3TestEnv, prefix: string): Promise<string> {
  const bucket = `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6)}`;
  await s3Client(env).send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

export function tempCacheDir(): string {
  return path.join(os.tmpdir(), `s3-test-cache-${process.pid}-${Date.now().toString(36)}`);
}
