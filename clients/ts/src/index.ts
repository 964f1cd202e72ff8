// The hand-written part of the TypeScript client: a factory around openapi-fetch that
// adds the bearer token, Idempotency-Key on writes (with retries that reuse it), and
// helpers for problem+json errors, ETag/If-Match and cursor-paginated lists. Every
// type comes from schema.gen.ts, which `make generate` writes from openapi.yaml.
import createFetchClient, { type Client, type Middleware } from "openapi-fetch";
import type { components, operations, paths } from "./schema.gen.js";

export type { components, operations, paths };
/** The contract's schemas by name: `Schemas["Customer"]`. */
export type Schemas = components["schemas"];
export type ContactHub = Client<paths>;

export interface ClientOptions {
  /** Where the hub answers, e.g. `https://hub.council.example` (no trailing `/v1`). */
  baseUrl: string;
  /** Called before every request; a token refresher can live here. No token: anonymous. */
  token?: () => string | undefined | Promise<string | undefined>;
  /**
   * The static IVR token (the contract's `ivrToken` scheme, the hub's
   * `CONTACTHUB_IVR_TOKEN`), sent as `X-IVR-Token` for telephony platforms that cannot
   * hold a JWT. Only `POST /v1/ivr/events` accepts it.
   */
  ivrToken?: string;
  /**
   * Give every POST, PUT, PATCH and DELETE an `Idempotency-Key` (unless it has one) and
   * retry it with the same key after a network failure, 502, 503 or 504: the hub
   * replays the first answer, so a retried write is never recorded twice.
   */
  idempotentWrites?: boolean;
  /** Retries of such a write (default 2); reads are never retried by the client. */
  retries?: number;
  /** Another fetch (tests, proxies); the global one by default. */
  fetch?: (input: Request) => Promise<Response>;
}

const writeMethods = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const retryable = new Set([502, 503, 504]);

/** A client for the whole contract: `hub.GET("/v1/me")`, `hub.POST("/v1/contacts", {...})`. */
export function createContactHub(opts: ClientOptions): ContactHub {
  const baseFetch = opts.fetch ?? ((r: Request) => globalThis.fetch(r));
  const retries = opts.idempotentWrites ? Math.max(0, opts.retries ?? 2) : 0;
  const client = createFetchClient<paths>({
    baseUrl: opts.baseUrl.replace(/\/+$/, ""),
    fetch: (req: Request) => sendWithRetries(baseFetch, req, retries),
  });
  const auth: Middleware = {
    async onRequest({ request }) {
      const token = await opts.token?.();
      if (token) request.headers.set("Authorization", `Bearer ${token}`);
      if (opts.ivrToken) request.headers.set("X-IVR-Token", opts.ivrToken);
      if (opts.idempotentWrites && writeMethods.has(request.method) && !request.headers.has("Idempotency-Key")) {
        request.headers.set("Idempotency-Key", newIdempotencyKey());
      }
      return request;
    },
  };
  client.use(auth);
  return client;
}

// Only a write carrying an Idempotency-Key is retried: without one a second attempt
// could record the contact twice.
async function sendWithRetries(send: (r: Request) => Promise<Response>, req: Request, retries: number): Promise<Response> {
  const canRetry = retries > 0 && req.headers.has("Idempotency-Key");
  for (let attempt = 0; ; attempt++) {
    const last = !canRetry || attempt >= retries;
    try {
      const res = await send(last ? req : req.clone());
      if (last || !retryable.has(res.status)) return res;
      await res.body?.cancel();
    } catch (err) {
      if (last) throw err;
    }
    await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
  }
}

/** A fresh key for one logical write (a UUID: 36 visible characters, inside 8–128). */
export function newIdempotencyKey(): string {
  return globalThis.crypto.randomUUID();
}

type FieldError = Schemas["FieldError"];

/** An RFC 9457 problem the hub answered, as a throwable error. */
export class ProblemError extends Error {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly instance?: string;
  readonly errors: FieldError[];
  /** The whole body, for members some problems add (e.g. `customerId`). */
  readonly problem: Record<string, unknown>;

  constructor(status: number, body: unknown) {
    const p = isRecord(body) ? body : {};
    const title = typeof p.title === "string" ? p.title : `HTTP ${status}`;
    const detail = typeof p.detail === "string" ? p.detail : undefined;
    super(detail ? `${title}: ${detail}` : title);
    this.name = "ProblemError";
    this.type = typeof p.type === "string" ? p.type : "about:blank";
    this.title = title;
    this.status = typeof p.status === "number" ? p.status : status;
    this.detail = detail;
    this.instance = typeof p.instance === "string" ? p.instance : undefined;
    this.errors = Array.isArray(p.errors) ? p.errors.filter(isFieldError) : [];
    this.problem = p;
  }

  /** The message for one field (`identifiers[0].value`, `If-Match`…), if the hub named it. */
  fieldMessage(field: string): string | undefined {
    return this.errors.find((e) => e.field === field)?.message;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isFieldError(v: unknown): v is FieldError {
  return isRecord(v) && typeof v.field === "string" && typeof v.message === "string";
}

/** What every openapi-fetch call resolves to, reduced to what these helpers read. */
export interface FetchResult<D> {
  data?: D;
  error?: unknown;
  response: Response;
}

/** The body of a successful answer, or a thrown ProblemError for any other. */
export function ok<D>(result: FetchResult<D>): D {
  if (result.response.ok && result.error === undefined) return result.data as D;
  throw new ProblemError(result.response.status, result.error);
}

/** The `ETag` the hub sent with a resource (a quoted version, e.g. `"3"`). */
export function etagOf(result: { response: Response }): string {
  const tag = result.response.headers.get("ETag");
  if (!tag) throw new Error(`the answer to ${result.response.url} carries no ETag`);
  return tag;
}

/** The header for an update of the version read: `params: { header: ifMatch(read) }`. */
export function ifMatch(read: { response: Response } | string): { "If-Match": string } {
  return { "If-Match": typeof read === "string" ? read : etagOf(read) };
}

/** One page of a cursor-paginated list, as every list in the contract answers. */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/**
 * Every item of a cursor-paginated list, fetching pages as the loop asks for them:
 * `for await (const c of paginate((cursor) => hub.GET("/v1/cases", { params: { query: { cursor } } })))`.
 * A page that fails throws its ProblemError.
 */
export async function* paginate<T>(
  fetchPage: (cursor: string | undefined) => Promise<FetchResult<Page<T>>>,
): AsyncGenerator<T, void, undefined> {
  let cursor: string | undefined;
  do {
    const page = ok(await fetchPage(cursor));
    yield* page.items;
    cursor = page.nextCursor;
  } while (cursor);
}
