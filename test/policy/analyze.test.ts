import { describe, expect, test } from "bun:test";
import { ConfigError } from "../../src/config/load.ts";
import { compilePolicy } from "../../src/policy/compile.ts";
import { configFrom, samplePolicyYaml } from "./fixtures.ts";

const base = `
upstreams:
  u: { targets: ["http://127.0.0.1:9"] }
routes:
  - { id: orders, path: /orders/*, methods: [GET, POST], upstream: u }
  - { id: admin, path: /admin/*, upstream: u }
  - { id: tenants, path: /t/:tenant/items, methods: [GET], upstream: u }
`;

function compile(policy: string) {
  return compilePolicy(configFrom(base + policy));
}

/** Policy errors reject the config at load, each with its path and line. */
function loadProblems(yaml: string): string[] {
  try {
    configFrom(yaml);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems.map((p) => `${p.line}: ${p.path}: ${p.message}`);
  }
  throw new Error("config loaded without problems");
}
const messages = (list: readonly { path: string; message: string }[]) =>
  list.map((p) => `${p.path}: ${p.message}`);

describe("static analysis", () => {
  test("the sample policy compiles without errors or warnings", () => {
    const result = compilePolicy(configFrom(samplePolicyYaml));
    expect(messages(result.errors)).toEqual([]);
    expect(messages(result.warnings)).toEqual([]);
  });

  test("rules naming unknown routes or groups reject the config with path and line", () => {
    const problems = loadProblems(`${base}
policy:
  groups: { ops: [orders, ordres] }
  roles:
    clerk:
      allow: [{ routes: [order], groups: [opps] }]
`);
    expect(problems).toEqual([
      '10: policy.groups.ops[1]: unknown route "ordres"',
      '13: policy.roles.clerk.allow[0].routes[0]: unknown route "order"',
      '13: policy.roles.clerk.allow[0].groups[0]: unknown group "opps"',
    ]);
  });

  test("an unserved method is a warning; a rule left with nothing never matches", () => {
    const { warnings, errors } = compile(`
policy:
  roles:
    clerk: { allow: [{ id: clerk-deletes, routes: [orders], methods: [DELETE] }] }
`);
    expect(errors).toEqual([]);
    expect(messages(warnings)).toContain(
      'policy.roles.clerk.allow[0].methods: route "orders" does not serve DELETE: ' +
        "that part never matches",
    );
    expect(messages(warnings)).toContain(
      'policy.roles.clerk.allow[0]: rule "clerk-deletes" covers no route and method: ' +
        "it never matches",
    );
  });

  test("a grant fully covered by a deny is reported as shadowed", () => {
    const { warnings } = compile(`
policy:
  roles:
    clerk: { allow: [{ id: clerk-orders, routes: [orders], methods: [POST] }] }
  deny:
    - { id: freeze, roles: [clerk], routes: [orders] }
`);
    expect(messages(warnings)).toContain(
      'policy.roles.clerk.allow[0]: rule "clerk-orders" is shadowed by deny "freeze": ' +
        "it grants nothing",
    );
  });

  test("a deny covered by an earlier deny is reported; a partial overlap is not", () => {
    const { warnings } = compile(`
policy:
  roles:
    clerk: { allow: [{ routes: [orders] }] }
  deny:
    - { id: nobody-admin, routes: [admin] }
    - { id: clerk-admin, roles: [clerk], routes: [admin], methods: [GET] }
    - { id: clerk-orders-get, roles: [clerk], routes: [orders], methods: [GET] }
    - { id: clerk-orders-all, roles: [clerk], routes: [orders] }
`);
    const text = messages(warnings);
    expect(text).toContain(
      'policy.deny[1]: deny rule "clerk-admin" is shadowed by earlier "nobody-admin"',
    );
    expect(text.filter((m) => m.startsWith("policy.deny[3]"))).toEqual([]);
  });

  test("roles granted nowhere and routes no role can reach are warnings", () => {
    const { warnings } = compile(`
policy:
  roles:
    clerk: { allow: [{ routes: [orders], methods: [GET] }] }
    auditor: {}
  identities:
    eve: { roles: [ghost] }
`);
    const text = messages(warnings);
    expect(text).toContain('policy.roles.auditor: role "auditor" is granted nowhere');
    expect(text).toContain('policy.identities.eve.roles[0]: role "ghost" is granted nowhere');
    expect(text).toContain(
      'routes[1]: route "admin" is reachable by no role: every caller is denied',
    );
    expect(text).toContain('routes[0]: route "orders": no role may use POST');
  });

  test("tenant bindings must name a parameter of the path and not a gateway-owned header", () => {
    const yaml = base
      .replace(
        "methods: [GET], upstream: u }",
        "methods: [GET], upstream: u, access: { roles: [v], tenant: { param: tenantId } } }",
      )
      .replace(
        "path: /admin/*, upstream: u }",
        "path: /admin/*, upstream: u, access: { roles: [v], tenant: { header: X-Tenant-Id } } }",
      );
    expect(loadProblems(yaml)).toEqual([
      "6: routes[1].access.tenant.header: x-tenant-id is set by the gateway; bind another header",
      '7: routes[2].access.tenant.param: path "/t/:tenant/items" has no parameter :tenantId',
    ]);
  });

  test("rule ids must be unique, generated ones included", () => {
    const problems = loadProblems(`${base}
policy:
  roles:
    clerk: { allow: [{ routes: [orders] }] }
  deny:
    - { id: clerk.allow.0, routes: [admin] }
`);
    expect(problems).toEqual([
      '11: policy.roles.clerk.allow[0]: rule id "clerk.allow.0" is used twice ' +
        "(also policy.deny[0])",
    ]);
  });

  test("the schema refuses unknown keys and rules that name no route", () => {
    const noTarget = "policy:\n  roles:\n    clerk: { allow: [{ methods: [GET] }] }\n";
    expect(() => compile(noTarget)).toThrow("name at least one route or group");
    expect(() => compile("policy:\n  rules: []\n")).toThrow("policy.rules: unknown key");
  });
});
