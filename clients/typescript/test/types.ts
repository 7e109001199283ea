// Compiled (never run) by `npm run build`: the wrapped methods keep the official client's overloads and
// return types, so swapping `new Ollama()` for `new CorralClient()` changes no application type.
import type { AbortableAsyncIterator, ChatResponse, GenerateResponse, ListResponse, Ollama, ProgressResponse } from 'ollama';
import { CorralClient, StreamError, type OllamaApi } from '../src/index.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
const same = <T extends true>(): T | undefined => undefined;

same<Equal<CorralClient['chat'], Ollama['chat']>>();
same<Equal<CorralClient['generate'], Ollama['generate']>>();
same<Equal<CorralClient['pull'], Ollama['pull']>>();
same<Equal<ReturnType<OllamaApi['list']>, Promise<ListResponse>>>();

export async function usage(client: CorralClient): Promise<string> {
  const stream: AbortableAsyncIterator<ChatResponse> =
    await client.chat({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true });
  let text = '';
  try {
    for await (const part of stream) text += part.message.content;
  } catch (e) {
    if (e instanceof StreamError) text += ` [cut after ${e.chunksDelivered}: ${e.serverError ?? ''}]`;
  }
  const whole: GenerateResponse = await client.withOptions({ signal: AbortSignal.timeout(1000) }).generate({ model: 'm', prompt: 'p' });
  const progress: ProgressResponse = await client.pull({ model: 'm' });
  return text + whole.response + progress.status;
}
