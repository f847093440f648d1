import { benchBodyBytes } from "../servers/body.ts";

export interface ProbeAnswer {
  readonly status: number;
  readonly bytes: number;
  readonly headers: Headers;
}

/** One GET to a loopback URL with a short timeout; null when nothing answered. */
export async function probe(
  url: string,
  headers: Readonly<Record<string, string>> = {},
  timeoutMs = 2_000,
): Promise<ProbeAnswer | null> {
  try {
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
    const body = await response.arrayBuffer();
    return { status: response.status, bytes: body.byteLength, headers: response.headers };
  } catch {
    return null;
  }
}

/** Waits until `url` answers 200 with the 1 KiB benchmark body; throws with the last answer. */
export async function waitForBenchBody(
  url: string,
  headers: Readonly<Record<string, string>>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: ProbeAnswer | null = null;
  while (Date.now() < deadline) {
    last = await probe(url, headers, 1_000);
    if (last && last.status === 200 && last.bytes === benchBodyBytes) return;
    await Bun.sleep(50);
  }
  const seen = last ? `${last.status} with ${last.bytes} bytes` : "no answer";
  throw new Error(`${url} did not answer 200 with the ${benchBodyBytes}-byte body (${seen})`);
}

/** A free loopback port (for peers that cannot listen on port 0 and report it). */
export async function freePort(): Promise<number> {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}
