/**
 * Requests this process sent to object stores, by kind, and the keys their listings returned: what a
 * log listing or a scan costs on a store that bills and answers per request (tests, benchmarks).
 * Kept apart from s3.ts so reading the figures does not load the SDK.
 */
export interface ObjectStoreRequestStats {
  /** Requests by what they did (list, read, stat, write, delete), retries included. */
  requests: Record<string, number>;
  /** Keys and common prefixes the list requests returned. */
  keysListed: number;
}

export const objectStoreRequests: ObjectStoreRequestStats = { requests: {}, keysListed: 0 };

export function countRequest(what: string): void {
  objectStoreRequests.requests[what] = (objectStoreRequests.requests[what] ?? 0) + 1;
}
