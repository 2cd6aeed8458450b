// Prompts go through this interface so commands can be tested with a scripted fake. The
// production prompter (inquirer) writes to stderr, keeping stdout for data, and is only ever
// used after Terminal.canPrompt said a person is there.

import { InterruptedError } from '../errors.js';
import { sanitizeForTerminal } from './sanitize.js';

export interface Choice {
  value: string;
  /** Shown to the operator; sanitized by the prompter. */
  label: string;
}

export interface Prompter {
  confirm(message: string, defaultAnswer?: boolean): Promise<boolean>;
  select(message: string, choices: Choice[]): Promise<string>;
  input(message: string, options?: { defaultValue?: string; validate?: (value: string) => string | true }): Promise<string>;
}

const context = { output: process.stderr, clearPromptOnDone: false };

/** Ctrl-C inside a prompt is an interruption (exit 130), not a crash. */
async function guarded<T>(ask: () => Promise<T>): Promise<T> {
  try {
    return await ask();
  } catch (error) {
    if (error instanceof Error && (error.name === 'ExitPromptError' || error.name === 'AbortPromptError')) throw new InterruptedError();
    throw error;
  }
}

// The prompt library is loaded only when a prompt is actually shown.
const prompts = () => import('@inquirer/prompts');

export const inquirerPrompter: Prompter = {
  confirm: (message, defaultAnswer = false) => guarded(async () => (await prompts()).confirm({ message: sanitizeForTerminal(message), default: defaultAnswer }, context)),
  select: (message, choices) =>
    guarded(async () =>
      (await prompts()).select({ message: sanitizeForTerminal(message), choices: choices.map((c) => ({ value: c.value, name: sanitizeForTerminal(c.label) })) }, context),
    ),
  input: (message, options = {}) =>
    guarded(async () =>
      (await prompts()).input(
        {
          message: sanitizeForTerminal(message),
          ...(options.defaultValue !== undefined ? { default: options.defaultValue } : {}),
          ...(options.validate ? { validate: options.validate } : {}),
        },
        context,
      ),
    ),
};
