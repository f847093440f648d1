import { z } from "zod";

/**
 * Authorization settings. Roles grant permissions on routes (or named groups of routes) and
 * methods; deny rules override any grant; everything not granted is denied. The whole section is
 * compiled into decision tables at load (src/policy/compile.ts).
 */

const name = (what: string) =>
  z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, `${what} use letters, digits, . _ : -`);

const roleName = name("role names");
const ruleId = name("rule ids");
const groupName = name("group names");
const routeId = z.string().min(1);

/** Kept here rather than imported from routes.ts: routes.ts imports this file. */
const method = z.enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** `enforce` decides; `report` computes and records the denial but lets the request through. */
const mode = z.enum(["enforce", "report"]).default("enforce");

/** What a permission or deny rule covers: routes by id and/or groups, and methods. */
const target = {
  /** Route ids. */
  routes: z.array(routeId).default([]),
  /** Names from `policy.groups`. */
  groups: z.array(groupName).default([]),
  /** Every method the route serves when absent. A GET grant or denial also covers HEAD. */
  methods: z.array(method).min(1).optional(),
};

const permissionSchema = z
  .strictObject({
    /** Shown by explain and written to audit records; `<role>.allow.<n>` when absent. */
    id: ruleId.optional(),
    ...target,
  })
  .refine((p) => p.routes.length + p.groups.length > 0, "name at least one route or group");

const roleSchema = z.strictObject({
  description: z.string().optional(),
  allow: z.array(permissionSchema).default([]),
});

const denyRuleSchema = z
  .strictObject({
    /** `deny.<n>` when absent. */
    id: ruleId.optional(),
    description: z.string().optional(),
    /** Roles this rule denies; everyone, anonymous callers included, when absent. */
    roles: z.array(roleName).min(1).optional(),
    ...target,
    mode,
  })
  .refine((d) => d.routes.length + d.groups.length > 0, "name at least one route or group");

/** A named caller for `policy explain --identity` and policy tests; grants nothing at run time. */
const namedIdentitySchema = z.strictObject({
  description: z.string().optional(),
  roles: z.array(roleName).default([]),
  scopes: z.array(z.string().min(1)).default([]),
  tenant: z.string().min(1).optional(),
});

/** Roles, groups, deny rules and named identities. */
export const policySchema = z
  .strictObject({
    /** Named sets of route ids that permissions and deny rules can refer to. */
    groups: z.record(groupName, z.array(routeId).min(1)).default({}),
    roles: z.record(roleName, roleSchema).default({}),
    /** Checked before any grant: a matching deny rule always wins. */
    deny: z.array(denyRuleSchema).default([]),
    identities: z.record(name("identity names"), namedIdentitySchema).default({}),
  })
  .prefault({});

const tenantBindingSchema = z.union([
  z.strictObject({
    /** Path parameter of this route (`:tenant`) that must equal the caller's tenant. */
    param: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "a path parameter name"),
    /** Roles that may cross tenants (support staff); nobody when absent. */
    bypassRoles: z.array(roleName).default([]),
  }),
  z.strictObject({
    /** Request header that must equal the caller's tenant. */
    header: z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, "an HTTP header name"),
    bypassRoles: z.array(roleName).default([]),
  }),
]);

/** Per-route authorization: shorthand grants, required scopes, tenant binding, mode. */
export const routeAccessSchema = z
  .strictObject({
    /** Callers holding any of these roles may use every method of the route. */
    roles: z.array(roleName).min(1).optional(),
    /** Any authenticated caller may use every method of the route. */
    authenticated: z.boolean().default(false),
    /** Every listed scope is required on top of a grant. */
    scopes: z.array(z.string().min(1)).default([]),
    tenant: tenantBindingSchema.optional(),
    /** `report` puts every decision on this route in shadow mode. */
    mode,
  })
  .optional();

export type PolicyConfig = z.infer<typeof policySchema>;
export type RouteAccess = z.infer<typeof routeAccessSchema>;
export type HttpMethod = z.infer<typeof method>;
