import { parseConfigText } from "../../src/config/load.ts";
import type { GatewayConfig } from "../../src/config/schema.ts";
import { compilePolicy } from "../../src/policy/compile.ts";

/**
 * A demo-shaped config: payments and telemetry upstreams, an agent that reads telemetry and is
 * denied payments, two vendor tenants, a shadow-mode route. Extra YAML is appended as given.
 */
export const samplePolicyYaml = `
upstreams:
  payments: { targets: ["http://127.0.0.1:9"] }
  telemetry: { targets: ["http://127.0.0.1:9"] }
routes:
  - { id: payments-charge, path: /payments/charge, methods: [POST], upstream: payments }
  - { id: payments-read, path: /payments/*, methods: [GET], upstream: payments }
  - id: telemetry
    path: /telemetry/*
    methods: [GET, POST]
    upstream: telemetry
  - id: vendor-records
    path: /vendors/:tenant/records/*
    methods: [GET, POST]
    upstream: telemetry
    access:
      roles: [vendor]
      tenant: { param: tenant, bypassRoles: [support] }
  - id: vendor-feed
    path: /feed/*
    upstream: telemetry
    access:
      roles: [vendor]
      tenant: { header: x-vendor }
  - id: reports
    path: /reports/*
    methods: [GET]
    upstream: telemetry
    access: { authenticated: true, scopes: [reports:read] }
  - id: beta
    path: /beta/*
    methods: [GET]
    upstream: telemetry
    access: { roles: [admin], mode: report }
  - id: public
    path: /public/*
    methods: [GET]
    upstream: telemetry
    auth: { anonymous: true }
  - id: debug
    path: /debug
    upstream: telemetry
    auth: { anonymous: true }
policy:
  groups:
    payments: [payments-charge, payments-read]
  roles:
    agent:
      description: Telemetry collector
      allow:
        - { id: agent-reads-telemetry, routes: [telemetry], methods: [GET] }
    finance:
      allow:
        - { id: finance-pays, groups: [payments] }
    admin:
      allow:
        - { groups: [payments] }
        - { routes: [telemetry] }
    vendor: {}
    support:
      allow:
        - { routes: [vendor-records], methods: [GET] }
  deny:
    - id: agent-never-pays
      description: Agents never move money
      roles: [agent]
      groups: [payments]
    - { id: no-debug, routes: [debug] }
    - id: try-freeze-admin-telemetry
      roles: [admin]
      routes: [telemetry]
      methods: [POST]
      mode: report
  identities:
    telemetry-agent: { roles: [agent] }
    vendor-a: { roles: [vendor], tenant: vendor-a }
    vendor-b: { roles: [vendor], tenant: vendor-b }
    cashier: { roles: [finance] }
`;

/** Parses YAML as the gateway loads it: schema, cross references, then policy errors. */
export function configFrom(yaml: string = samplePolicyYaml): GatewayConfig {
  return parseConfigText(yaml, "test.yaml", {}, (config) => compilePolicy(config).errors);
}
