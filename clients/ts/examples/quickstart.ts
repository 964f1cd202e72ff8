// The README's "From TypeScript" example: record a call and follow its case.
// Run against `make run`: HUB_TOKEN=$(bin/contacthub token --role agent --sub alice) node dist/examples/quickstart.js
import { createContactHub, ok, ProblemError } from "../src/index.js";

const hub = createContactHub({ baseUrl: "http://localhost:8080", token: () => process.env.HUB_TOKEN, idempotentWrites: true });
try {
  const { contact, case: opened } = ok(await hub.POST("/v1/contacts", {
    body: { channel: "phone", service: { lgsl: 59 },
            identifiers: [{ kind: "phone", value: "07700 900123" }], summary: "Moved house" },
  }));
  console.log(`contact ${contact.id} is on case ${opened?.id} at tier ${opened?.tier}`);
} catch (e) {
  if (e instanceof ProblemError) console.error(e.status, e.type, e.errors);
  else throw e;
}
