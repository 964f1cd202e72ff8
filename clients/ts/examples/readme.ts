// The README's "From TypeScript" example, word for word but for the import path, so
// `tsc --strict` keeps the README honest.
declare function getToken(): Promise<string>;
declare function show(...what: unknown[]): void;
export {};
import { createContactHub, ifMatch, ok, paginate, ProblemError } from "../src/index.js";

const hub = createContactHub({ baseUrl: "http://localhost:8080", token: async () => getToken(), idempotentWrites: true });
const { contact, case: opened } = ok(await hub.POST("/v1/contacts", { body: {
  channel: "phone", service: { lgsl: 59 }, identifiers: [{ kind: "phone", value: "07700 900123" }],
  summary: "Moved house" } }));
for await (const c of paginate((cursor) => hub.GET("/v1/cases", { params: { query: { customerId: contact.customerId, cursor } } })))
  console.log(c.id, c.status, c.tier);
const read = await hub.GET("/v1/me");                         // a citizen token: their own record
ok(await hub.PATCH("/v1/me", { params: { header: ifMatch(read) }, body: { preferredLanguage: "cy" } }));
// any refusal: catch (e) { if (e instanceof ProblemError) show(e.status, e.type, e.errors) }
