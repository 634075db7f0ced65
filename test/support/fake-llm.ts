/**
 * A local fake model server speaking the providers' real HTTP protocols (no model is reachable here):
 * - OpenAI Chat Completions, `POST /v1/chat/completions` (Authorization: Bearer; `tools` of type
 *   function; answers with `choices[0].message.tool_calls` / `content`, `usage.prompt_tokens`,
 *   `completion_tokens`, `prompt_tokens_details.cached_tokens`), as in
 *   https://platform.openai.com/docs/api-reference/chat/create;
 * - Anthropic Messages, `POST /v1/messages` (x-api-key, anthropic-version; `tool_use` / `text` content
 *   blocks, `stop_reason`, `usage.input_tokens` / `output_tokens` / `cache_read_input_tokens`), as in
 *   https://docs.anthropic.com/en/api/messages.
 * Errors use each provider's error envelope (OpenAI `{error: {message, type, code}}`, Anthropic
 * `{type: "error", error: {type, message}}`), 429 with Retry-After. Streaming is refused (400): the
 * adapters use non-streaming generateText.
 *
 * The replies come from a `Brain` (a function of the conversation so far: the fake "model"); `failNext`
 * queues HTTP errors served before it. Every request is journaled (the key is kept only as "matched or
 * not", never stored).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Protocol = 'openai' | 'anthropic';

export interface Conversation {
  protocol: Protocol;
  model: string;
  system: string;
  /** the first user message */
  question: string;
  /** tool names offered */
  tools: string[];
  /** the tool results so far, in order (name as called, text) */
  results: { name: string; text: string }[];
  /** assistant turns so far */
  turn: number;
  body: Record<string, unknown>;
}

export interface Reply {
  text?: string;
  /** args: an object, or a raw string (a malformed call: not JSON) */
  toolCalls?: { name: string; args: Record<string, unknown> | string }[];
  usage?: { input: number; output: number; cached?: number };
}

export type Brain = (c: Conversation) => Reply;

export interface QueuedError {
  status: number;
  headers?: Record<string, string>;
  message?: string;
}

export interface JournalEntry {
  at: number;
  protocol: Protocol;
  path: string;
  status: number;
  keyMatched: boolean;
  body: Record<string, unknown>;
}

export interface FakeLlm {
  /** base URL for the provider (…/v1) */
  url: string;
  journal: JournalEntry[];
  failNext(...errors: QueuedError[]): void;
  setBrain(b: Brain): void;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    req.on('data', (d: Buffer) => (s += d.toString()));
    req.on('end', () => resolve(s));
    req.on('error', reject);
  });
}

const textOf = (c: unknown): string =>
  typeof c === 'string'
    ? c
    : Array.isArray(c)
      ? c.map((p: Json) => (typeof p.text === 'string' ? p.text : typeof p.content !== 'undefined' ? textOf(p.content) : '')).join('\n')
      : '';

/** OpenAI messages -> Conversation */
function openaiConversation(b: Json): Conversation {
  const msgs = (b.messages as Json[]) ?? [];
  const names = new Map<string, string>();
  const results: Conversation['results'] = [];
  for (const m of msgs) {
    if (m.role === 'assistant')
      for (const tc of (m.tool_calls as Json[]) ?? []) names.set(tc.id as string, (tc.function as Json).name as string);
    if (m.role === 'tool') results.push({ name: names.get(m.tool_call_id as string) ?? '?', text: textOf(m.content) });
  }
  return {
    protocol: 'openai',
    model: String(b.model),
    system: msgs
      .filter((m) => m.role === 'system' || m.role === 'developer')
      .map((m) => textOf(m.content))
      .join('\n'),
    question: textOf(msgs.find((m) => m.role === 'user')?.content),
    tools: ((b.tools as Json[]) ?? []).map((t) => (t.function as Json).name as string),
    results,
    turn: msgs.filter((m) => m.role === 'assistant').length,
    body: b,
  };
}

/** Anthropic messages -> Conversation */
function anthropicConversation(b: Json): Conversation {
  const msgs = (b.messages as Json[]) ?? [];
  const names = new Map<string, string>();
  const results: Conversation['results'] = [];
  for (const m of msgs) {
    const blocks = Array.isArray(m.content) ? (m.content as Json[]) : [];
    for (const bl of blocks) {
      if (bl.type === 'tool_use') names.set(bl.id as string, bl.name as string);
      if (bl.type === 'tool_result') results.push({ name: names.get(bl.tool_use_id as string) ?? '?', text: textOf(bl.content) });
    }
  }
  const firstUser = msgs.find((m) => m.role === 'user');
  return {
    protocol: 'anthropic',
    model: String(b.model),
    system: textOf(b.system),
    question: textOf(firstUser?.content),
    tools: ((b.tools as Json[]) ?? []).map((t) => t.name as string),
    results,
    turn: msgs.filter((m) => m.role === 'assistant').length,
    body: b,
  };
}

let ids = 0;
const id = (p: string) => `${p}_${Date.now().toString(36)}${(++ids).toString(36)}`;

function openaiReply(c: Conversation, r: Reply): Json {
  const calls = (r.toolCalls ?? []).map((t) => ({
    id: id('call'),
    type: 'function',
    function: { name: t.name, arguments: typeof t.args === 'string' ? t.args : JSON.stringify(t.args) },
  }));
  const u = r.usage ?? { input: 100, output: 20 };
  return {
    id: id('chatcmpl'),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: c.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: r.text ?? null, ...(calls.length ? { tool_calls: calls } : {}) },
        finish_reason: calls.length ? 'tool_calls' : 'stop',
      },
    ],
    usage: {
      prompt_tokens: u.input,
      completion_tokens: u.output,
      total_tokens: u.input + u.output,
      prompt_tokens_details: { cached_tokens: u.cached ?? 0 },
    },
  };
}

function anthropicReply(c: Conversation, r: Reply): Json {
  const content: Json[] = [];
  if (r.text) content.push({ type: 'text', text: r.text });
  for (const t of r.toolCalls ?? []) {
    // the Messages protocol carries `input` as an object: a malformed call is one that is not an object
    content.push({ type: 'tool_use', id: id('toolu'), name: t.name, input: typeof t.args === 'string' ? t.args : t.args });
  }
  const u = r.usage ?? { input: 100, output: 20 };
  return {
    id: id('msg'),
    type: 'message',
    role: 'assistant',
    model: c.model,
    content,
    stop_reason: r.toolCalls?.length ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: {
      input_tokens: u.input - (u.cached ?? 0),
      output_tokens: u.output,
      cache_read_input_tokens: u.cached ?? 0,
      cache_creation_input_tokens: 0,
    },
  };
}

function errorBody(protocol: Protocol, status: number, message: string): Json {
  if (protocol === 'openai') {
    const type =
      status === 401 ? 'invalid_request_error' : status === 429 ? 'requests' : status >= 500 ? 'server_error' : 'invalid_request_error';
    return {
      error: { message, type, param: null, code: status === 401 ? 'invalid_api_key' : status === 429 ? 'rate_limit_exceeded' : null },
    };
  }
  const type =
    status === 401
      ? 'authentication_error'
      : status === 429
        ? 'rate_limit_error'
        : status === 529
          ? 'overloaded_error'
          : status >= 500
            ? 'api_error'
            : 'invalid_request_error';
  return { type: 'error', error: { type, message } };
}

const mask = (k: string) => (k.length > 8 ? `${k.slice(0, 3)}${'*'.repeat(k.length - 7)}${k.slice(-4)}` : '****');

export interface FakeLlmOptions {
  /** the key clients must send; a mismatch is a 401 (whose message masks the key sent, as OpenAI's does) */
  apiKey?: string;
  brain?: Brain;
}

export async function startFakeLlm(o: FakeLlmOptions = {}): Promise<FakeLlm> {
  let brain: Brain = o.brain ?? (() => ({ text: 'nothing to say' }));
  const queue: QueuedError[] = [];
  const journal: JournalEntry[] = [];
  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `fake-llm: ${(err as Error).message}` } }));
    });
  });
  const send = (res: ServerResponse, status: number, body: Json, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    const protocol: Protocol | undefined = path === '/v1/chat/completions' ? 'openai' : path === '/v1/messages' ? 'anthropic' : undefined;
    if (req.method !== 'POST' || !protocol) return send(res, 404, { error: { message: `no route ${req.method} ${path}` } });
    const body = JSON.parse(await read(req)) as Json;
    const sent =
      protocol === 'openai' ? /^Bearer (.*)$/.exec(req.headers.authorization ?? '')?.[1] : (req.headers['x-api-key'] as string | undefined);
    const keyMatched = o.apiKey === undefined || sent === o.apiKey;
    const log = (status: number) => journal.push({ at: Date.now(), protocol, path, status, keyMatched, body });
    if (protocol === 'anthropic' && !req.headers['anthropic-version']) {
      log(400);
      return send(res, 400, errorBody(protocol, 400, 'anthropic-version: header is required'));
    }
    if (!keyMatched) {
      log(401);
      const msg = protocol === 'openai' ? `Incorrect API key provided: ${mask(sent ?? '')}.` : 'invalid x-api-key';
      return send(res, 401, errorBody(protocol, 401, msg));
    }
    const q = queue.shift();
    if (q) {
      log(q.status);
      return send(res, q.status, errorBody(protocol, q.status, q.message ?? `fake-llm: HTTP ${q.status}`), q.headers);
    }
    if (body.stream === true) {
      log(400);
      return send(res, 400, errorBody(protocol, 400, 'fake-llm: streaming is not served'));
    }
    const c = protocol === 'openai' ? openaiConversation(body) : anthropicConversation(body);
    const r = brain(c);
    log(200);
    send(res, 200, protocol === 'openai' ? openaiReply(c, r) : anthropicReply(c, r));
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    journal,
    failNext: (...e) => queue.push(...e),
    setBrain: (b) => (brain = b),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A fake troubleshooter for a no-fault control ("namespace X ... wrong source IP"): it looks at the pods
 * of the namespace the question names and at the EgressIPs with whichever tools the MCP server offers
 * (netharness's k8s_list, kubernetes-mcp-server's pods_list_in_namespace / resources_list), then submits
 * "healthy" if the pods it saw run, and a finding naming the broken pod otherwise. Usage per reply is
 * fixed (input grows with the turn) so tests can check totals.
 */
export const controlBrain: Brain = (c) => {
  const ns = /namespace\s+([a-z0-9-]+)/i.exec(c.question)?.[1] ?? 'default';
  const usage = { input: 1000 + 500 * c.turn, output: 50, cached: c.turn > 0 ? 400 : 0 };
  const has = (t: string) => c.tools.includes(t);
  if (c.turn === 0) {
    if (has('k8s_list'))
      return { text: 'Looking at the pods first.', toolCalls: [{ name: 'k8s_list', args: { kind: 'Pod', namespace: ns } }], usage };
    if (has('pods_list_in_namespace')) return { toolCalls: [{ name: 'pods_list_in_namespace', args: { namespace: ns } }], usage };
    if (has('echo')) return { toolCalls: [{ name: 'echo', args: { msg: `pods of ${ns}: Running` } }], usage };
  }
  if (c.turn === 1) {
    if (has('k8s_list')) return { toolCalls: [{ name: 'k8s_list', args: { kind: 'EgressIP' } }], usage };
    if (has('resources_list'))
      return { toolCalls: [{ name: 'resources_list', args: { apiVersion: 'k8s.ovn.org/v1', kind: 'EgressIP' } }], usage };
    if (has('env')) return { toolCalls: [{ name: 'env', args: {} }], usage };
  }
  if (c.turn === 2 && has('submit_rca')) {
    const pods = c.results[0]?.text ?? '';
    const broken = /CrashLoopBackOff|Error|Pending/.exec(pods);
    const args = broken
      ? {
          detected: true,
          category: 'k8s/pod-failure',
          entities: [ns],
          mechanism: `a pod in ${ns} is ${broken[0]}`,
          remediation: 'fix the pod',
        }
      : {
          detected: false,
          entities: [],
          mechanism: `the pods of ${ns} run and the EgressIPs are assigned; egress works as configured`,
          remediation: 'nothing to do',
        };
    return { toolCalls: [{ name: 'submit_rca', args }], usage };
  }
  return { text: 'I submitted my analysis: nothing is wrong with egress.', usage };
};
