// CorralClient: the official `ollama` client's methods, same names, signatures and return types
// (streams are its own AbortableAsyncIterator), each call routed through the Engine's retries, circuits
// and failover. Per-call settings (an AbortSignal, a request id, a deadline) come through
// `withOptions`, because adding a parameter to the official signatures would break their overloads.
import type { Ollama } from 'ollama';

import { Engine } from './engine.js';
import type { CallOptions, CorralClientOptions, EndpointStatus } from './options.js';

/** Every public method of the official client. */
export type OllamaApi = Pick<Ollama, keyof Ollama>;

// Methods that talk to the configured host: these get retries, circuits and failover.
const ROUTED = ['chat', 'generate', 'create', 'pull', 'push', 'delete', 'copy', 'list', 'show', 'embed',
                'embeddings', 'ps', 'version', 'systemone'] as const;
// Methods that do not touch the configured host (ollama.com's web APIs, local image encoding).
const DIRECT = ['webSearch', 'webFetch', 'encodeImage'] as const;

function apiFor(engine: Engine, call: CallOptions): OllamaApi {
  const api: Record<string, unknown> = { abort: () => engine.abortStreams() };
  for (const name of ROUTED) api[name] = (...args: unknown[]) => engine.call(name, args, call);
  for (const name of DIRECT) {
    const method = (engine.direct as unknown as Record<string, (...a: unknown[]) => unknown>)[name];
    api[name] = (...args: unknown[]) => method.apply(engine.direct, args);
  }
  return api as unknown as OllamaApi;
}

export interface CorralClient extends OllamaApi {}

export class CorralClient {
  readonly #engine: Engine;

  constructor(options: CorralClientOptions) {
    this.#engine = new Engine(options);
    Object.assign(this, apiFor(this.#engine, {}));
  }

  /** The same methods, with a signal, request id or deadline applied to each call made through them. */
  withOptions(call: CallOptions): OllamaApi {
    return apiFor(this.#engine, { ...call });
  }

  /** Each endpoint's circuit state, for health pages and tests. */
  endpoints(): EndpointStatus[] {
    return this.#engine.endpoints();
  }
}
