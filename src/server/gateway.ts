import type { Server } from "bun";
import type { GatewayConfig } from "../config/schema.ts";
import { createLogger, flushLogger, type Logger } from "../log/logger.ts";
import { compileGeneration, type Generation } from "./generation.ts";
import { handleRequest, type GatewayState } from "./handle-request.ts";
import { closeServices, createServices, type Services } from "./services.ts";
import { loadGatewayConfig } from "./load-config.ts";
import { startCertListeners } from "../identity/cert-listeners.ts";
import { workerInfo } from "../cluster/workers.ts";
import { createAdminServer } from "./admin.ts";
import { problemResponse } from "./respond.ts";

export interface GatewayOptions {
  readonly configPath: string;
  /** Share the listening port with sibling worker processes (Linux SO_REUSEPORT). */
  readonly reusePort?: boolean;
  /** Overrides the configured proxy port (workers, tests). */
  readonly port?: number;
}

/**
 * A running gateway: the proxy listener, the admin listener, the current config generation and
 * the long-lived services. Reload swaps the generation; shutdown drains and closes.
 */
export class Gateway implements GatewayState {
  current: Generation;
  draining = false;
  private proxyServer: Server<unknown> | null = null;
  private adminServer: Server<unknown> | null = null;
  /** mTLS listeners: each admits only clients of its CA and maps them to one consumer. */
  private certServers: Server<unknown>[] = [];
  private generationCounter: number;

  private constructor(
    readonly options: GatewayOptions,
    readonly services: Services,
    readonly logger: Logger,
    generation: Generation,
  ) {
    this.current = generation;
    this.generationCounter = generation.number;
  }

  /** Loads the config, builds every subsystem and starts both listeners. */
  static async start(options: GatewayOptions): Promise<Gateway> {
    const { config, warnings } = loadGatewayConfig(options.configPath);
    const worker = workerInfo();
    // Under --workers every process logs as itself, as it is named in the cluster and audit.
    const nodeId = worker ? `${config.nodeId}-w${worker.index}` : config.nodeId;
    const { level, file, bufferBytes } = config.log;
    const logger = createLogger({ level, file, nodeId, bufferBytes });
    if (warnings.length > 0) logger.warn({ warnings }, "policy compiled with warnings");
    const services = await createServices(config, logger);
    const generation = compileGeneration(config, services, 1, null);
    const gateway = new Gateway(options, services, logger, generation);
    gateway.listen(config);
    return gateway;
  }

  get proxyUrl(): string {
    return `http://${this.proxyServer!.hostname}:${this.proxyServer!.port}`;
  }

  get adminUrl(): string {
    return `http://${this.adminServer!.hostname}:${this.adminServer!.port}`;
  }

  private listen(config: GatewayConfig) {
    this.proxyServer = Bun.serve({
      hostname: config.listen.host,
      port: this.options.port ?? config.listen.port,
      reusePort: this.options.reusePort ?? false,
      // Bun serves a development error page with stack traces unless told otherwise
      // (BUN-NOTES §1.12).
      development: false,
      idleTimeout: config.listen.idleTimeoutSec,
      maxRequestBodySize: config.listen.maxBodyBytes,
      fetch: (request, server) => handleRequest(this, request, server),
      error: (error) => {
        this.logger.error({ err: error }, "unhandled error in the request path");
        return problemResponse("internal", "unknown");
      },
    });
    this.certServers = startCertListeners(
      config.identity.clientCert.listeners,
      (request, server) => handleRequest(this, request, server),
      { idleTimeout: config.listen.idleTimeoutSec, maxRequestBodySize: config.listen.maxBodyBytes },
    );
    this.adminServer = createAdminServer(this, config);
    this.logger.info({ proxy: this.proxyUrl, admin: this.adminUrl }, "listening");
  }

  /**
   * Compiles the config file anew and swaps it in atomically. An invalid config throws and the
   * old generation keeps serving. Listener addresses are read once at start and not reloaded.
   */
  async reload(): Promise<Generation> {
    const { config, warnings } = loadGatewayConfig(this.options.configPath);
    if (warnings.length > 0) this.logger.warn({ warnings }, "policy compiled with warnings");
    const next = compileGeneration(config, this.services, this.generationCounter + 1, this.current);
    this.generationCounter = next.number;
    const previous = this.current;
    this.current = next;
    // Pools of upstreams the new config dropped or changed; in-flight exchanges finish first.
    for (const [name, upstream] of previous.upstreams) {
      if (next.upstreams.get(name) !== upstream) upstream.close();
    }
    for (const hook of this.services.reconfigureHooks) await hook(config);
    this.logger.info({ generation: next.number, routes: next.routes.length }, "config reloaded");
    return next;
  }

  /**
   * Stops accepting, lets in-flight requests finish up to the grace period, then closes the
   * subsystems (the audit trail drains its queue here).
   */
  async shutdown(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    const graceMs = this.current.config.shutdown.graceMs;
    this.logger.info({ graceMs }, "shutting down");
    const stopped = Promise.all([this.proxyServer, ...this.certServers].map((s) => s?.stop(false)));
    const deadline = Bun.sleep(graceMs).then(() => "deadline" as const);
    const outcome = await Promise.race([stopped?.then(() => "drained" as const), deadline]);
    if (outcome === "deadline") {
      this.logger.warn({ pending: this.proxyServer?.pendingRequests }, "grace period over");
      await Promise.all([this.proxyServer, ...this.certServers].map((s) => s?.stop(true)));
    }
    await this.adminServer?.stop(true);
    for (const upstream of this.current.upstreams.values()) upstream.close();
    await closeServices(this.services);
    this.logger.info("stopped");
    await flushLogger(this.logger);
  }
}
