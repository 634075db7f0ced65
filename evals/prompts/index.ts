/**
 * Versioned system prompts of the model agents (`--system-prompt ID` or a file). A prompt file is never
 * edited once a run used it: a change is a new file (rca-v2.md) and a new id, so scores of runs with the
 * same prompt id are comparable. Every trial records the prompt's id and sha256. A prompt names no fault,
 * no case and no answer: it is read by the agent.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../../harness/errors.ts';

export const DEFAULT_PROMPT = 'rca-v1';

export interface SystemPrompt {
  /** `rca-v1`, or `file:<path>` for a user's file */
  id: string;
  /** sha256 of the text, 12 hex digits */
  sha256: string;
  text: string;
}

const ID = /^[a-z][a-z0-9-]*-v\d+$/;

/** `rca-v1` (a file of evals/prompts/) or a path to a text file. Usage errors name --system-prompt. */
export function loadSystemPrompt(ref: string = DEFAULT_PROMPT): SystemPrompt {
  const builtin = ID.test(ref) ? join(import.meta.dirname, `${ref}.md`) : undefined;
  const path = builtin && existsSync(builtin) ? builtin : resolve(ref);
  if (!existsSync(path)) {
    throw new UsageError(
      `--system-prompt: '${ref}' is neither a prompt of evals/prompts/ nor a file`,
      `built in: ${DEFAULT_PROMPT} (evals/prompts/${DEFAULT_PROMPT}.md)`,
    );
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new UsageError(`--system-prompt: cannot read ${path}: ${(err as Error).message}`);
  }
  if (!text) throw new UsageError(`--system-prompt: ${path} is empty`);
  return {
    id: builtin && path === builtin ? ref : `file:${path}`,
    sha256: createHash('sha256').update(text).digest('hex').slice(0, 12),
    text,
  };
}
