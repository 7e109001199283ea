// What one attempt saw on the wire. The fetch handed to the official client adds the attempt's abort
// signal and records the response head and the body's `{"error": ...}` line, Ollama's (and Corral's) way
// of saying that a stream failed after its 200 head. The body itself passes through unchanged.

export interface Wire {
  /** The official client got as far as calling fetch (an argument check did not throw first). */
  fetched: boolean;
  response?: Response;
  serverError?: string;
}

export function observedFetch(base: typeof fetch, wire: Wire, signal: AbortSignal): typeof fetch {
  return async (input, init = {}) => {
    wire.fetched = true;
    const response = await base(input, { ...init, signal: init.signal ? AbortSignal.any([signal, init.signal]) : signal });
    wire.response = response;
    if (!response.ok || !response.body) return response;
    const body = response.body.pipeThrough(errorLineWatcher(wire));
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

export function responseRequestId(wire: Wire, fallback: string): string {
  return wire.response?.headers.get('x-request-id') ?? fallback;
}

const ERROR_START = '{"error"';

// Only a line that may still become `{"error"...` is kept, so a multi-megabyte JSON answer (embeddings)
// is scanned once instead of being re-joined chunk after chunk.
function errorLineWatcher(wire: Wire): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder();
  let line = '';
  let skipping = false;
  const remember = (text: string) => {
    try {
      const parsed = JSON.parse(text) as { error?: unknown };
      wire.serverError = typeof parsed.error === 'string' ? parsed.error : JSON.stringify(parsed.error);
    } catch {
      // Not JSON after all: the official client's parser reports it.
    }
  };
  const scan = (text: string) => {
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      if (!skipping && mayBeError(line + text.slice(start, nl))) remember(line + text.slice(start, nl));
      line = '';
      skipping = false;
      start = nl + 1;
    }
    if (skipping) return;
    line += text.slice(start);
    if (!mayBeError(line)) {
      line = '';
      skipping = true;
    }
  };
  return new TransformStream({
    transform(chunk, controller) {
      scan(decoder.decode(chunk, { stream: true }));
      controller.enqueue(chunk);
    },
    flush() {
      scan(decoder.decode());
      if (!skipping && line.trim() !== '') remember(line);
    },
  });
}

function mayBeError(text: string): boolean {
  const t = text.trimStart();
  return t.length <= ERROR_START.length ? ERROR_START.startsWith(t) : t.startsWith(ERROR_START);
}
