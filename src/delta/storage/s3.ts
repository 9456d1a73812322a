/**
 * Tables on S3 and S3-compatible stores (AWS S3, R2, GCS interoperability, MinIO, Ceph RGW), through
 * @aws-sdk/client-s3. The only module that imports the SDK.
 *
 * HAZARDS, and what answers each:
 * - There is no rename and no link: a commit is `PUT <v>.json` with `If-None-Match: *`. 412 means the
 *   version is taken; 409 (AWS: a concurrent conditional write is in flight) means retry the same version.
 * - A request that failed after it was sent (connection cut, timeout, 5xx, or the SDK's own retry of a
 *   PUT that had landed and now answers 412) may have committed: the key is read back and compared with
 *   what we sent. Equal content is ours (commit texts carry a timestamp and unique file names).
 * - A store may accept the header without honouring it under concurrency (SeaweedFS #8800) or not at all
 *   (OVH 501): before the first write to a bucket, two concurrent conditional PUTs race for a scratch key
 *   and exactly one must win, else writes are refused (a single-writer setting overrides, at the user's risk).
 * - Data files are immutable and uniquely named: plain PUTs (multipart above 64 MiB), read through a
 *   bounded local cache keyed by location and size, so DuckDB reads local files.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { DeltaStoreConfigError, DeltaStoreUnavailableError } from '../errors.js';
import type { FileCache } from './file-cache.js';
import { parseBucketUri } from './location.js';
import { countRequest, objectStoreRequests } from './request-stats.js';
import type {
  DeltaStorage,
  FileToPublish,
  PutResult,
  StagedPut,
  StoredEntry,
  StoredFile,
  StoredHead,
} from './storage.js';

export interface ObjectStoreSettings {
  /** e.g. http://127.0.0.1:7480; absent: AWS (or AWS_ENDPOINT_URL[_S3], which the SDK reads). */
  endpoint?: string | undefined;
  region?: string | undefined;
  /** Path-style addressing (`endpoint/bucket/key`), which self-hosted stores need. */
  forcePathStyle?: boolean | undefined;
  /** Local directory of the data-file cache. */
  cacheDir: string;
  cacheBytes: number;
  /**
   * Skip the conditional-PUT self-test and, on a store that rejects conditional PUTs, commit by HEAD +
   * PUT. Safe only when one process at a time writes each table.
   */
  singleWriter?: boolean | undefined;
  /** Per-request timeout (default 30 s). */
  requestTimeoutMs?: number | undefined;
}

const MULTIPART_THRESHOLD = 64 * 1024 * 1024;
const PART_BYTES = 16 * 1024 * 1024;
const PUT_ATTEMPTS = 8;

interface SdkError {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { statusCode?: number };
}

function statusOf(error: unknown): number | undefined {
  const e = error as SdkError | undefined;
  return e?.$metadata?.httpStatusCode ?? e?.$response?.statusCode;
}

function isNotFound(error: unknown): boolean {
  const name = (error as SdkError | undefined)?.name;
  return statusOf(error) === 404 || name === 'NoSuchKey' || name === 'NotFound';
}

/** Failed in a way that says nothing about whether the request took effect. */
function isAmbiguous(error: unknown): boolean {
  const status = statusOf(error);
  return status === undefined || status >= 500 || status === 408;
}

function isNotImplemented(error: unknown): boolean {
  const e = error as SdkError | undefined;
  return statusOf(error) === 501 || e?.name === 'NotImplemented' || e?.code === 'NotImplemented';
}

function describe(error: unknown): string {
  const status = statusOf(error);
  const message = error instanceof Error ? error.message : String(error);
  return status === undefined ? message : `HTTP ${status}: ${message}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function backoffMs(attempt: number): number {
  return Math.min(2000, 25 * 2 ** attempt) * (0.5 + Math.random() / 2);
}

export class S3Storage implements DeltaStorage {
  readonly kind = 'object-store' as const;
  private readonly client: S3Client;
  private readonly cache: FileCache;
  private selfTest: Promise<void> | undefined;
  /** Set when the store refused conditional PUTs and single-writer mode allows HEAD + PUT. */
  private unconditional = false;

  constructor(
    readonly bucket: string,
    private readonly settings: ObjectStoreSettings,
    cache: FileCache,
    /** A client to use instead of one built from the settings (tests). */
    client?: Pick<S3Client, 'send'>,
  ) {
    this.cache = cache;
    // The project runs on Node 20, which this SDK version supports; its notice about future versions
    // would otherwise be printed on every command that touches an object store.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.client =
      (client as S3Client | undefined) ??
      new S3Client({
        ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
        region: settings.region ?? 'us-east-1',
        forcePathStyle: settings.forcePathStyle ?? false,
        // Checksum trailers and aws-chunked bodies are newer than many S3-compatible stores.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        requestHandler: { requestTimeout: settings.requestTimeoutMs ?? 30_000, connectionTimeout: 5_000 },
      });
  }

  private keyOf(location: string): string {
    const { bucket, key } = parseBucketUri(location);
    if (bucket !== this.bucket) throw new Error(`${location} is not in bucket ${this.bucket}`);
    return key;
  }

  private prefixOf(dir: string): string {
    const key = this.keyOf(dir);
    return key === '' ? '' : `${key}/`;
  }

  private async send<T>(what: string, call: () => Promise<T>): Promise<T> {
    countRequest(what);
    try {
      return await call();
    } catch (error) {
      if (statusOf(error) === undefined || (statusOf(error) ?? 0) >= 500) {
        throw new DeltaStoreUnavailableError(
          `Object store s3://${this.bucket} failed to ${what}: ${describe(error)}`,
          {
            cause: error,
            hint: 'Check the endpoint, the network and the store; the operation can be retried.',
          },
        );
      }
      throw error;
    }
  }

  /** Every page of a ListObjectsV2 under `prefix` (Delimiter '/' lists one level; StartAfter on the first ask). */
  private async *pages(
    prefix: string,
    options: { delimiter?: string; startAfter?: string } = {},
  ): AsyncGenerator<ListObjectsV2CommandOutput> {
    let token: string | undefined;
    do {
      const page = await this.send('list', () =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(options.delimiter !== undefined ? { Delimiter: options.delimiter } : {}),
            ...(options.startAfter !== undefined && token === undefined
              ? { StartAfter: prefix + options.startAfter }
              : {}),
            ...(token ? { ContinuationToken: token } : {}),
          }),
        ),
      );
      objectStoreRequests.keysListed += (page.Contents?.length ?? 0) + (page.CommonPrefixes?.length ?? 0);
      yield page;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async list(dir: string, options: { startAfter?: string } = {}): Promise<StoredEntry[]> {
    const prefix = this.prefixOf(dir);
    const out: StoredEntry[] = [];
    for await (const page of this.pages(prefix, { delimiter: '/', startAfter: options.startAfter })) {
      for (const o of page.Contents ?? []) {
        if (!o.Key) continue;
        out.push({
          name: o.Key.slice(prefix.length),
          size: o.Size ?? 0,
          mtimeMs: o.LastModified?.getTime() ?? 0,
        });
      }
      for (const p of page.CommonPrefixes ?? []) {
        if (p.Prefix) out.push({ name: p.Prefix.slice(prefix.length).replace(/\/$/, '') });
      }
    }
    const after = options.startAfter;
    return out
      .filter((e) => after === undefined || e.name > after)
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  async listFiles(
    dir: string,
    skip?: (relativeDir: string, name: string, isDirectory: boolean) => boolean,
  ): Promise<StoredFile[]> {
    const prefix = this.prefixOf(dir);
    const out: StoredFile[] = [];
    for await (const page of this.pages(prefix)) {
      for (const o of page.Contents ?? []) {
        if (!o.Key || o.Key.endsWith('/')) continue;
        const relative = o.Key.slice(prefix.length);
        const parts = relative.split('/');
        let skipped = false;
        for (let i = 0; i < parts.length && !skipped; i++) {
          skipped = skip?.(parts.slice(0, i).join('/'), parts[i] as string, i < parts.length - 1) ?? false;
        }
        if (skipped) continue;
        out.push({
          relative,
          location: `s3://${this.bucket}/${o.Key}`,
          size: o.Size ?? 0,
          mtimeMs: o.LastModified?.getTime() ?? 0,
        });
      }
    }
    return out;
  }

  async readText(location: string): Promise<string | undefined> {
    const key = this.keyOf(location);
    try {
      const got = await this.send('read', () =>
        this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })),
      );
      return (await got.Body?.transformToString('utf8')) ?? '';
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async head(location: string): Promise<StoredHead | undefined> {
    const key = this.keyOf(location);
    try {
      const info = await this.send('stat', () =>
        this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key })),
      );
      return { size: info.ContentLength ?? 0, mtimeMs: info.LastModified?.getTime() ?? 0 };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async put(location: string, content: string | Uint8Array): Promise<void> {
    const key = this.keyOf(location);
    await this.send('write', () =>
      this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: content })),
    );
  }

  async stage(dir: string, content: string): Promise<StagedPut> {
    return {
      putAs: (name) => this.putIfAbsent(`${dir.replace(/\/+$/, '')}/${name}`, content),
      discard: async () => undefined,
    };
  }

  /** Conditional PUT with the retry rules in the header comment. */
  async putIfAbsent(location: string, content: string): Promise<PutResult> {
    await this.checkConditionalWrites(location);
    if (this.unconditional) return this.putIfAbsentUnsafe(location, content);
    const key = this.keyOf(location);
    let lastError: unknown;
    for (let attempt = 1; attempt <= PUT_ATTEMPTS; attempt++) {
      try {
        await this.client.send(
          new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: content, IfNoneMatch: '*' }),
        );
        return 'written';
      } catch (error) {
        lastError = error;
        const status = statusOf(error);
        // Taken; but by us when an earlier try (ours or the SDK's retry) landed and only its answer was lost.
        if (status === 412) return (await this.readBack(location)) === content ? 'written' : 'exists';
        if (status === 409) {
          await sleep(backoffMs(attempt));
          continue;
        }
        if (isNotImplemented(error)) {
          if (!this.settings.singleWriter)
            throw this.unsafeStoreError(`a conditional PUT failed with ${describe(error)}`);
          this.unconditional = true;
          return this.putIfAbsentUnsafe(location, content);
        }
        if (!isAmbiguous(error)) throw error;
        const there = await this.readBack(location).catch(() => undefined);
        if (there === content) return 'written';
        if (there !== undefined) return 'exists';
        await sleep(backoffMs(attempt));
      }
    }
    throw new DeltaStoreUnavailableError(
      `Object store s3://${this.bucket} did not take ${key} after ${PUT_ATTEMPTS} attempts: ${describe(lastError)}`,
      { cause: lastError, hint: 'Nothing was committed; retry when the store answers.' },
    );
  }

  /** Reads a key back after an ambiguous write, retrying reads that themselves fail. */
  private async readBack(location: string): Promise<string | undefined> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= PUT_ATTEMPTS; attempt++) {
      try {
        return await this.readText(location);
      } catch (error) {
        lastError = error;
        await sleep(backoffMs(attempt));
      }
    }
    throw lastError;
  }

  private async putIfAbsentUnsafe(location: string, content: string): Promise<PutResult> {
    if (await this.head(location)) return 'exists';
    await this.put(location, content);
    return 'written';
  }

  /** Once per bucket, before its first commit: exactly one of two racing conditional PUTs must win. */
  private checkConditionalWrites(commitLocation: string): Promise<void> {
    if (this.settings.singleWriter) return Promise.resolve();
    this.selfTest ??= this.raceConditionalPuts(commitLocation).catch((error: unknown) => {
      this.selfTest = undefined;
      throw error;
    });
    return this.selfTest;
  }

  private async raceConditionalPuts(commitLocation: string): Promise<void> {
    const dir = commitLocation.slice(0, commitLocation.lastIndexOf('/'));
    const key = this.keyOf(`${dir}/_conditional-put-probe-${randomUUID()}.tmp`);
    const attempt = async (body: string): Promise<'won' | 'lost' | unknown> => {
      for (let i = 1; ; i++) {
        try {
          await this.client.send(
            new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, IfNoneMatch: '*' }),
          );
          return 'won';
        } catch (error) {
          if (statusOf(error) === 412) return 'lost';
          if (statusOf(error) === 409 && i < PUT_ATTEMPTS) {
            await sleep(backoffMs(i));
            continue;
          }
          return error;
        }
      }
    };
    const bodies = [`a-${randomUUID()}`, `b-${randomUUID()}`];
    try {
      const outcomes = await Promise.all(bodies.map(attempt));
      const failure = outcomes.find((o) => o !== 'won' && o !== 'lost');
      const winners = outcomes.filter((o) => o === 'won').length;
      const stored = await this.readText(`s3://${this.bucket}/${key}`);
      const winnerBody = bodies[outcomes.indexOf('won')];
      if (failure === undefined && winners === 1 && stored === winnerBody && (await attempt('c')) === 'lost')
        return;
      if (failure !== undefined && statusOf(failure) === undefined) {
        throw new DeltaStoreUnavailableError(
          `Object store s3://${this.bucket} did not answer: ${describe(failure)}`,
          {
            cause: failure,
            hint: 'Check the endpoint and the network.',
          },
        );
      }
      throw this.unsafeStoreError(
        failure !== undefined
          ? `a conditional PUT (If-None-Match: *) failed with ${describe(failure)}`
          : `${winners} of 2 concurrent conditional PUTs to one key succeeded`,
      );
    } finally {
      await this.deleteMany([`s3://${this.bucket}/${key}`]).catch(() => undefined);
    }
  }

  private unsafeStoreError(what: string): DeltaStoreConfigError {
    return new DeltaStoreConfigError(
      `Object store s3://${this.bucket} cannot hold Delta tables safely: ${what}. Commits need an atomic put-if-absent.`,
      {
        hint: 'Use a store that honours If-None-Match: * (AWS S3, R2, MinIO, Ceph RGW; see docs/object-storage.md), or, if exactly one process ever writes each table, enable the single-writer setting.',
      },
    );
  }

  async putFile(localFile: string, location: string): Promise<void> {
    await this.upload(localFile, this.keyOf(location));
  }

  async publishFiles(files: readonly FileToPublish[]): Promise<void> {
    const uploaded: string[] = [];
    try {
      for (const file of files) {
        await this.upload(file.from, this.keyOf(file.to));
        uploaded.push(file.to);
      }
    } catch (error) {
      await this.deleteMany(uploaded).catch(() => undefined);
      throw error;
    }
  }

  private async upload(localFile: string, key: string): Promise<void> {
    const handle = await open(localFile, 'r');
    try {
      const { size } = await handle.stat();
      if (size <= MULTIPART_THRESHOLD) {
        const body = await readFile(localFile);
        await this.send('write', () =>
          this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body })),
        );
        return;
      }
      await this.uploadMultipart(handle, size, key);
    } finally {
      await handle.close();
    }
  }

  private async uploadMultipart(
    handle: Awaited<ReturnType<typeof open>>,
    size: number,
    key: string,
  ): Promise<void> {
    const created = await this.send('write', () =>
      this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key })),
    );
    const uploadId = created.UploadId as string;
    try {
      const parts: { ETag: string; PartNumber: number }[] = [];
      for (let offset = 0, n = 1; offset < size; offset += PART_BYTES, n++) {
        const length = Math.min(PART_BYTES, size - offset);
        const buffer = Buffer.alloc(length);
        await handle.read(buffer, 0, length, offset);
        const part = await this.send('write', () =>
          this.client.send(
            new UploadPartCommand({
              Bucket: this.bucket,
              Key: key,
              UploadId: uploadId,
              PartNumber: n,
              Body: buffer,
            }),
          ),
        );
        parts.push({ ETag: part.ETag as string, PartNumber: n });
      }
      await this.send('write', () =>
        this.client.send(
          new CompleteMultipartUploadCommand({
            Bucket: this.bucket,
            Key: key,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts },
          }),
        ),
      );
    } catch (error) {
      await this.client
        .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }))
        .catch(() => undefined);
      throw error;
    }
  }

  async deleteMany(locations: readonly string[]): Promise<void> {
    const keys = locations.map((l) => this.keyOf(l));
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      try {
        const result = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        );
        const failed = (result.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
        if (failed.length > 0) {
          throw new DeltaStoreUnavailableError(
            `Object store s3://${this.bucket} did not delete ${failed.length} objects (first: ${failed[0]?.Key}: ${failed[0]?.Code} ${failed[0]?.Message ?? ''}).`,
            { hint: 'Retry the operation.' },
          );
        }
      } catch (error) {
        if (statusOf(error) === undefined || error instanceof DeltaStoreUnavailableError) throw error;
        // Stores without multi-object delete: one request per key.
        for (const Key of batch) {
          await this.send('delete', () =>
            this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key })),
          );
        }
      }
    }
  }

  async localCopy(location: string, size?: number): Promise<string> {
    const key = this.keyOf(location);
    return this.cache.get(location, size, async (temp) => {
      const got = await this.send('read', () =>
        this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })),
      );
      await pipeline(got.Body as Readable, createWriteStream(temp));
      const length = got.ContentLength ?? -1;
      const written = (await stat(temp)).size;
      if (size !== undefined && written !== size) {
        throw new DeltaStoreUnavailableError(
          `Downloaded ${location}: ${written} bytes, the log says ${size} (store answered ${length}).`,
          { hint: 'The object changed or the download was cut short; retry.' },
        );
      }
      return written;
    });
  }

  scratchDir(dir: string): string {
    const { key } = parseBucketUri(dir);
    return path.join(this.settings.cacheDir, 'scratch', this.bucket, key.replaceAll('/', '__'));
  }

  async ensureDir(): Promise<void> {}

  async probe(location: string): Promise<'dir' | 'file' | 'missing'> {
    if (await this.head(location)) return 'file';
    const page = await this.send('list', () =>
      this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefixOf(location), MaxKeys: 1 }),
      ),
    );
    return (page.KeyCount ?? page.Contents?.length ?? 0) > 0 ? 'dir' : 'missing';
  }
}
