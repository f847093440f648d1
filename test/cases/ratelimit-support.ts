import type { GatewayProcess } from "../support/gateway.ts";

/** Issues an API key for a configured consumer through the admin listener; returns the secret. */
export async function createApiKey(gw: GatewayProcess, consumer: string): Promise<string> {
  const response = await fetch(`${gw.adminUrl}/identity/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${gw.adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ consumer }),
  });
  if (response.status !== 201) throw new Error(`key for ${consumer}: ${await response.text()}`);
  return ((await response.json()) as { key: string }).key;
}
