/**
 * Small real HTTP services for the bundled demo, each its own process on 127.0.0.1, so that
 * `npm start` shows the gateway proxying to something that is not the gateway itself.
 */
export const demoApis = {
  invoices: { port: 7101, handle: invoicesApi },
  telemetry: { port: 7102, handle: telemetryApi },
  payments: { port: 7103, handle: paymentsApi },
} as const;

export type DemoApiName = keyof typeof demoApis;

function invoicesApi(request: Request): Response {
  const url = new URL(request.url);
  const match = /^\/tenants\/([^/]+)\/invoices(?:\/([^/]+))?$/.exec(url.pathname);
  if (!match) return Response.json({ service: "invoices", path: url.pathname }, { status: 404 });
  const [, tenant, id] = match;
  const caller = request.headers.get("x-user-id");
  if (id) return Response.json({ service: "invoices", tenant, id, amountCents: 12_500, caller });
  const invoices = [1, 2, 3].map((n) => ({ id: `inv-${n}`, tenant, amountCents: n * 4_200 }));
  return Response.json({ service: "invoices", tenant, invoices, caller });
}

function telemetryApi(request: Request): Response {
  const url = new URL(request.url);
  const caller = request.headers.get("x-user-id");
  const samples = Array.from({ length: 5 }, (_, i) => ({ t: i, cpu: 0.2 + i / 20 }));
  return Response.json({ service: "telemetry", path: url.pathname, samples, caller });
}

async function paymentsApi(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const caller = request.headers.get("x-user-id");
  if (request.method === "POST") {
    const body = await request.text();
    return Response.json({ service: "payments", charged: true, bytes: body.length, caller });
  }
  return Response.json({ service: "payments", path: url.pathname, caller });
}

/** Runs one demo API until the process is told to stop. */
export function serveDemoApi(name: DemoApiName, port: number) {
  const api = demoApis[name];
  return Bun.serve({ hostname: "127.0.0.1", port, development: false, fetch: api.handle });
}
