export { backoffDelay, sleep, type BackoffOptions } from './backoff.js';
export {
  runService,
  serviceLifecycle,
  type RunnableConfig,
  type Service,
  type ServiceDeps,
  type ServiceSpec,
} from './service.js';
import type { Logger } from '@ep/logger';

/** Anything that holds a resource: a connection, a server, a consume loop. */
export interface Resource {
  name: string;
  start?(): Promise<void>;
  stop(): Promise<void>;
}

export interface Lifecycle {
  /** Registers resources in start order; they stop in reverse order. */
  add(...resources: Resource[]): Lifecycle;
  start(): Promise<void>;
  /** Stops everything once; later calls return the same promise. */
  stop(reason?: string): Promise<void>;
  /** SIGTERM/SIGINT → stop() then exit; uncaughtException/unhandledRejection → log fatal and exit 1. */
  installSignalHandlers(): void;
}

export interface LifecycleOptions {
  logger: Logger;
  /**
   * Hard limit for stop(), in ms; past it the process exits 1. Keep it shorter than the pod's
   * terminationGracePeriodSeconds (30 s by default) so Kubernetes never has to SIGKILL us.
   */
  deadlineMs?: number;
  /** Injected for tests; process.exit otherwise. */
  exit?: (code: number) => void;
}

export function createLifecycle(options: LifecycleOptions): Lifecycle {
  const { logger } = options;
  const deadlineMs = options.deadlineMs ?? 25_000;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const resources: Resource[] = [];
  const started: Resource[] = [];
  let stopping: Promise<void> | undefined;

  const lifecycle: Lifecycle = {
    add(...more) {
      resources.push(...more);
      return lifecycle;
    },

    async start() {
      for (const resource of resources) {
        if (stopping) return;
        await resource.start?.();
        started.push(resource);
        logger.debug({ resource: resource.name }, 'started');
      }
    },

    stop(reason = 'stop requested') {
      stopping ??= (async () => {
        logger.info({ reason }, 'stopping');
        const deadline = setTimeout(() => {
          logger.fatal({ deadlineMs }, 'stop deadline passed; exiting');
          exit(1);
        }, deadlineMs);
        deadline.unref();
        // A resource that failed half-way through start() may hold something too.
        const toStop = [...started, ...resources.filter((r) => !started.includes(r))].reverse();
        for (const resource of toStop) {
          try {
            await resource.stop();
            logger.debug({ resource: resource.name }, 'stopped');
          } catch (err) {
            logger.error({ err, resource: resource.name }, 'stop failed');
          }
        }
        clearTimeout(deadline);
        logger.info('stopped');
      })();
      return stopping;
    },

    installSignalHandlers() {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        process.once(signal, () => {
          void lifecycle.stop(signal).then(() => exit(0));
        });
      }
      // The process state is not to be trusted after an uncaught error: log and leave.
      process.once('uncaughtException', (err) => {
        logger.fatal({ err }, 'uncaught exception');
        exit(1);
      });
      process.once('unhandledRejection', (err) => {
        logger.fatal({ err }, 'unhandled rejection');
        exit(1);
      });
    },
  };
  return lifecycle;
}
