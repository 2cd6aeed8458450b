// Hidden prompts for secrets: nothing is echoed (not even a mask whose length would tell the
// secret's length), and the prompt library's "reveal" toggle is switched off. Used only after the
// Terminal said a person is at a TTY; the prompt is written to stderr.

import { InterruptedError, UsageError } from '../errors.js';
import { sanitizeForTerminal } from '../ui/sanitize.js';
import { registerSecret } from './redact.js';

export type HiddenPrompt = (message: string) => Promise<string>;

export const askHidden: HiddenPrompt = async (message) => {
  const { password } = await import('@inquirer/prompts');
  try {
    const value = await password({ message: sanitizeForTerminal(message), mask: false, toggleMask: false }, { output: process.stderr, clearPromptOnDone: false });
    registerSecret(value);
    return value;
  } catch (error) {
    if (error instanceof Error && (error.name === 'ExitPromptError' || error.name === 'AbortPromptError')) throw new InterruptedError();
    throw error;
  }
};

/** Ask for a new secret twice, so a typo does not lock the operator out. */
export async function askNewHidden(ask: HiddenPrompt, message: string): Promise<string> {
  const first = await ask(message);
  const second = await ask('Repeat it:');
  if (first !== second) throw new UsageError('the two entries differ', 'run the command again');
  return first;
}
