/**
 * The S3 commit primitive against a scripted store: the conditional-PUT self-test refuses stores that
 * do not honour If-None-Match, and put-if-absent resolves 409s, lost responses and failed sends by
 * reading the key back. The real store (Ceph radosgw) is exercised by the *.slow tests next to this.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DeltaStoreConfigError } from '../../../src/delta/errors.js';
import { FileCache } from '../../../src/delta/storage/file-cache.js';
import { S3Storage } from '../../../src/delta/storage/s3.js';

type Fault = 'lose-response' | 'fail-before' | 'conflict-409';

function sdkError(name: string, status: number | undefined): Error {
  return Object.assign(new Error(name), {
    name,
    $metadata: status === undefined ? {} : { httpStatusCode: status },
  });
}

/** Just enough of S3 for putIfAbsent: PutObject (optionally conditional), GetObject, HeadObject, DeleteObjects. */
class ScriptedStore {
  readonly objects = new Map<string, string>();
  conditional: 'honour' | 'ignore' | 'not-implemented' = 'honour';
  readonly faults: Fault[] = [];
  puts = 0;

  async send(command: { constructor: { name: string }; input: Record<string, unknown> }): Promise<unknown> {
    const input = command.input;
    const key = String(input.Key ?? '');
    switch (command.constructor.name) {
      case 'PutObjectCommand': {
        this.puts++;
        const fault = this.faults.shift();
        if (fault === 'fail-before') throw sdkError('ECONNRESET', undefined);
        if (fault === 'conflict-409') throw sdkError('ConditionalRequestConflict', 409);
        if (input.IfNoneMatch === '*') {
          if (this.conditional === 'not-implemented') throw sdkError('NotImplemented', 501);
          if (this.conditional === 'honour' && this.objects.has(key))
            throw sdkError('PreconditionFailed', 412);
        }
        this.objects.set(key, String(input.Body));
        if (fault === 'lose-response') throw sdkError('socket hang up', undefined);
        return {};
      }
      case 'GetObjectCommand': {
        const body = this.objects.get(key);
        if (body === undefined) throw sdkError('NoSuchKey', 404);
        return { Body: { transformToString: async () => body } };
      }
      case 'HeadObjectCommand': {
        const body = this.objects.get(key);
        if (body === undefined) throw sdkError('NotFound', 404);
        return { ContentLength: body.length, LastModified: new Date() };
      }
      case 'DeleteObjectsCommand': {
        const objects = (input.Delete as { Objects: { Key: string }[] }).Objects;
        for (const o of objects) this.objects.delete(o.Key);
        return {};
      }
      default:
        throw new Error(`unexpected ${command.constructor.name}`);
    }
  }
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function storageOn(store: ScriptedStore, singleWriter = false): S3Storage {
  const dir = mkdtempSync(path.join(os.tmpdir(), 's3-fake-'));
  dirs.push(dir);
  const settings = { cacheDir: dir, cacheBytes: 1e6, singleWriter };
  return new S3Storage('bucket', settings, new FileCache({ dir, maxBytes: 1e6 }), store as never);
}

const COMMIT = 's3://bucket/t/_delta_log/00000000000000000001.json';
const OTHER = 'another writer\n';

describe('S3 put-if-absent', () => {
  it('writes once, then answers exists for other content', async () => {
    const store = new ScriptedStore();
    const s3 = storageOn(store);
    expect(await s3.putIfAbsent(COMMIT, 'ours\n')).toBe('written');
    expect(await s3.putIfAbsent(COMMIT, OTHER)).toBe('exists');
    expect(store.objects.get('t/_delta_log/00000000000000000001.json')).toBe('ours\n');
    // The probe key of the self-test is gone.
    expect([...store.objects.keys()]).toEqual(['t/_delta_log/00000000000000000001.json']);
  });

  it('refuses a store that accepts If-None-Match without honouring it', async () => {
    const store = new ScriptedStore();
    store.conditional = 'ignore';
    await expect(storageOn(store).putIfAbsent(COMMIT, 'ours\n')).rejects.toThrow(DeltaStoreConfigError);
    await expect(storageOn(store).putIfAbsent(COMMIT, 'ours\n')).rejects.toThrow(
      /2 of 2 concurrent conditional PUTs/,
    );
    expect(store.objects.has('t/_delta_log/00000000000000000001.json')).toBe(false);
  });

  it('refuses a store without conditional PUTs unless single-writer mode is set, which checks then writes', async () => {
    const store = new ScriptedStore();
    store.conditional = 'not-implemented';
    await expect(storageOn(store).putIfAbsent(COMMIT, 'ours\n')).rejects.toThrow(/HTTP 501/);
    const single = storageOn(store, true);
    expect(await single.putIfAbsent(COMMIT, 'ours\n')).toBe('written');
    expect(await single.putIfAbsent(COMMIT, OTHER)).toBe('exists');
    expect(store.objects.get('t/_delta_log/00000000000000000001.json')).toBe('ours\n');
  });

  it('a response lost after the PUT landed is our commit (read back and compared)', async () => {
    const store = new ScriptedStore();
    const s3 = storageOn(store);
    await s3.putIfAbsent('s3://bucket/t/_delta_log/00000000000000000000.json', 'warm-up\n');
    store.faults.push('lose-response');
    expect(await s3.putIfAbsent(COMMIT, 'ours\n')).toBe('written');
  });

  it('a send that failed before landing is retried; a 409 is retried at the same key', async () => {
    const store = new ScriptedStore();
    const s3 = storageOn(store);
    await s3.putIfAbsent('s3://bucket/t/_delta_log/00000000000000000000.json', 'warm-up\n');
    store.faults.push('fail-before', 'conflict-409');
    const before = store.puts;
    expect(await s3.putIfAbsent(COMMIT, 'ours\n')).toBe('written');
    expect(store.puts - before).toBe(3);
  });

  it('a failed send when another writer holds the key answers exists', async () => {
    const store = new ScriptedStore();
    const s3 = storageOn(store);
    await s3.putIfAbsent('s3://bucket/t/_delta_log/00000000000000000000.json', 'warm-up\n');
    store.objects.set('t/_delta_log/00000000000000000001.json', OTHER);
    store.faults.push('fail-before');
    expect(await s3.putIfAbsent(COMMIT, 'ours\n')).toBe('exists');
    expect(store.objects.get('t/_delta_log/00000000000000000001.json')).toBe(OTHER);
  });
});
